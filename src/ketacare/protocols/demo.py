"""Demo clinic policy: the standard protocol library and a saved clinic policy.

The required settings have no published value; these are example clinic choices for the demo
(not recommendations): weights older than 90 days refused, plausible adult weight 35-250 kg,
0.1 mL syringe steps, SpO2 alert below 92%, pre-dose vitals at most 60 minutes old, a
pre-discharge reading at most 30 minutes old, 10 minutes tolerance for scheduled checks, and
60 minutes minimum observation after IV/IM/SC racemic ketamine with the published Emory
example IV vital-sign schedule (S25) adopted.
"""

from __future__ import annotations

from ketacare.protocols.services import ensure_standard_protocols, record_clinic_policy

DEMO_POLICY = {
    "weight_max_age_days": 90,
    "plausible_weight_min_kg": "35",
    "plausible_weight_max_kg": "250",
    "syringe_increment_ml": "0.1",
    "spo2_min_percent": 92,
    "predose_vitals_max_age_min": 60,
    "predischarge_vitals_max_age_min": 30,
    "vitals_tolerance_min": 10,
    "observation_min_iv": 60,
    "observation_min_im": 60,
    "observation_min_sc": 60,
    "iv_vitals_schedule_emory_example": True,
}


def seed_demo(ctx) -> None:
    ensure_standard_protocols(clinic=ctx.clinic)
    record_clinic_policy(
        actor=ctx.users["admin"], values=dict(DEMO_POLICY), reason="demo clinic settings"
    )
