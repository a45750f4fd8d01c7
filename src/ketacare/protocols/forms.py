"""Forms of the clinic admin pages: a new version of a protocol, and the clinic policy.

Ranges are not repeated here: the clinic policy goes through the API's ``ClinicPolicyCreate``
schema (the same bounds as the API) and then the core, and a protocol version through the
core's ``validate_protocol``; both answer with the field they refuse.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from ketacare.clinical.outcomes import definitions as _outcomes  # noqa: F401  (registers)
from ketacare.clinical.session import policy as _session_policy  # noqa: F401  (registers)
from ketacare.clinical.session import vitals as _session_vitals  # noqa: F401  (registers)
from ketacare.clinical.sources import REGISTRY, CitedValue
from ketacare.web import fields


def _dec(label: str, required: bool = True, help_text: str = "") -> fields.DecimalField:
    return fields.DecimalField(label=label, required=required, help_text=help_text)


class ProtocolVersionForm(forms.Form):
    """The editable parameters of a protocol; phases, vital-sign schedule and sources are
    carried over from the version it supersedes."""

    name = forms.CharField(label="Name", max_length=200)
    default_mg_per_kg = _dec("Default dose (mg/kg)")
    soft_limit_mg_per_kg = _dec(
        "Soft limit (mg/kg)", help_text="Doses above it need a prescriber's override."
    )
    ceiling_mg_per_kg = _dec("Ceiling (mg/kg)", help_text="No dose above it.")
    minimum_mg_per_kg = _dec("Minimum dose (mg/kg)", required=False)
    steps_mg = forms.CharField(
        label="Dose steps (mg)", help_text="Comma-separated, e.g. 56, 84.", max_length=200
    )
    start_dose_mg = _dec("Starting dose (mg)", required=False)
    first_session_max_mg = _dec("First session maximum (mg)", required=False)
    infusion_duration_min = fields.IntegerField(
        label="Infusion duration (min)", required=False, min_value=1, max_value=1440
    )
    observation_min = fields.IntegerField(
        label="Observation after dose (min)",
        required=False,
        min_value=1,
        max_value=1440,
        help_text="Blank: the clinic policy's minimum for this route.",
    )
    planned_sessions = fields.IntegerField(
        label="Planned sessions", required=False, min_value=1, max_value=200
    )
    review_after_week = fields.IntegerField(
        label="Review after week", required=False, min_value=1, max_value=520
    )
    reason = forms.CharField(
        label="Reason for the new version",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded with the version and in the audit trail.",
    )

    def __init__(self, *args, kind: str, infused: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        drop = (
            ("steps_mg", "start_dose_mg", "first_session_max_mg")
            if kind == "weight_based"
            else (
                "default_mg_per_kg",
                "soft_limit_mg_per_kg",
                "ceiling_mg_per_kg",
                "minimum_mg_per_kg",
            )
        )
        for name in drop + (() if infused else ("infusion_duration_min",)):
            del self.fields[name]

    def clean_steps_mg(self) -> list[Decimal]:
        try:
            steps = [Decimal(s.strip()) for s in self.cleaned_data["steps_mg"].split(",") if s]
        except InvalidOperation as exc:
            raise forms.ValidationError("Give the doses as numbers separated by commas.") from exc
        if not steps:
            raise forms.ValidationError("Give at least one dose.")
        return steps

    def parameters(self, base: dict[str, Any]) -> dict[str, Any]:
        """``base`` (the superseded version's parameters) with the edited values."""
        d = self.cleaned_data
        data = {**base, "name": d["name"], "dose_rule": dict(base["dose_rule"])}
        schedule = dict(base["schedule"])
        for name in ("planned_sessions", "review_after_week"):
            schedule[name] = d[name]
        data["schedule"] = schedule
        for name in ("observation_min", "infusion_duration_min"):
            if name in self.fields:
                data[name] = d[name]
        for name in (
            "default_mg_per_kg",
            "soft_limit_mg_per_kg",
            "ceiling_mg_per_kg",
            "minimum_mg_per_kg",
            "steps_mg",
            "start_dose_mg",
            "first_session_max_mg",
        ):
            if name in self.fields:
                data["dose_rule"][name] = d[name]
        return data

    @staticmethod
    def initial_from(parameters: dict[str, Any]) -> dict[str, Any]:
        rule = parameters["dose_rule"]
        initial = {
            "name": parameters["name"],
            "observation_min": parameters.get("observation_min"),
            "infusion_duration_min": parameters.get("infusion_duration_min"),
            "planned_sessions": parameters["schedule"].get("planned_sessions"),
            "review_after_week": parameters["schedule"].get("review_after_week"),
            **{k: v for k, v in rule.items() if k not in ("kind", "source", "steps_mg")},
        }
        if rule["kind"] == "fixed_step":
            initial["steps_mg"] = ", ".join(rule["steps_mg"])
        return initial


# --- Clinic policy -------------------------------------------------------------------------

_DEFAULT_YES = [("", "KetaCare default (yes)"), ("true", "Yes"), ("false", "No")]


def _anchor_choice() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        required=False,
        empty_value=None,
        choices=[
            ("", "Default: the last device or the end of the infusion (after administration)"),
            ("last_dose", "The last device or the end of the infusion (after administration)"),
            ("first_dose", "The first device (the REMS monitoring form's count)"),
        ],
    )


def _tri_state() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        choices=_DEFAULT_YES, coerce=lambda v: v == "true", empty_value=None, required=False
    )


# (section, name, label, unit, cited default constant or None, field, help)
POLICY_FIELDS: tuple[tuple[str, str, str, str, str | None, forms.Field, str], ...] = (
    ("Dosing", "weight_max_age_days", "Oldest weight used for dosing", "days", None,
     fields.IntegerField(), "An older weight is refused; weigh the patient again."),
    ("Dosing", "plausible_weight_min_kg", "Plausible weight, lowest", "kg", None,
     fields.DecimalField(), ""),
    ("Dosing", "plausible_weight_max_kg", "Plausible weight, highest", "kg", None,
     fields.DecimalField(), ""),
    ("Dosing", "syringe_increment_ml", "Syringe increment", "mL", None,
     fields.DecimalField(), "Doses round down to a multiple of this volume."),
    ("Dosing", "esketamine_older_adult_28mg_start", "Start esketamine at 28 mg in older adults",
     "", None, forms.BooleanField(required=False), "Hong Kong label option; off by default."),
    ("Dosing", "max_mg_per_rolling_7_days", "Cumulative limit over 7 days", "mg", None,
     fields.DecimalField(required=False), "Blank: not enforced (no published limit)."),
    ("Dosing", "max_mg_per_rolling_30_days", "Cumulative limit over 30 days", "mg", None,
     fields.DecimalField(required=False), "Blank: not enforced (no published limit)."),
    ("Vital signs", "spo2_min_percent", "SpO2 alert below", "%", None, fields.IntegerField(), ""),
    ("Vital signs", "predose_systolic_max_mmhg", "Pre-dose systolic caution above", "mmHg",
     "ESKETAMINE_PREDOSE_SYSTOLIC_MAX_MMHG", fields.IntegerField(required=False), ""),
    ("Vital signs", "predose_diastolic_max_mmhg", "Pre-dose diastolic caution above", "mmHg",
     "ESKETAMINE_PREDOSE_DIASTOLIC_MAX_MMHG", fields.IntegerField(required=False), ""),
    ("Vital signs", "predose_hard_systolic_max_mmhg", "Pre-dose systolic hard stop above",
     "mmHg", None, fields.IntegerField(required=False), "Blank: none. Not overridable."),
    ("Vital signs", "predose_hard_diastolic_max_mmhg", "Pre-dose diastolic hard stop above",
     "mmHg", None, fields.IntegerField(required=False), "Blank: none. Not overridable."),
    ("Vital signs", "systolic_max_mmhg", "In-session systolic alert above", "mmHg", None,
     fields.IntegerField(required=False), ""),
    ("Vital signs", "diastolic_max_mmhg", "In-session diastolic alert above", "mmHg", None,
     fields.IntegerField(required=False), ""),
    ("Vital signs", "heart_rate_min_bpm", "Heart rate alert below", "beats/min", None,
     fields.IntegerField(required=False), ""),
    ("Vital signs", "heart_rate_max_bpm", "Heart rate alert above", "beats/min", None,
     fields.IntegerField(required=False), ""),
    ("Vital signs", "respiratory_rate_min_per_min", "Respiratory rate alert below",
     "breaths/min", None, fields.IntegerField(required=False), ""),
    ("Vital signs", "respiratory_rate_max_per_min", "Respiratory rate alert above",
     "breaths/min", None, fields.IntegerField(required=False), ""),
    ("Timing", "predose_vitals_max_age_min", "Pre-dose vital signs at most", "min old", None,
     fields.IntegerField(), ""),
    ("Timing", "predischarge_vitals_max_age_min", "Pre-discharge vital signs at most",
     "min old", None, fields.IntegerField(), ""),
    ("Timing", "vitals_tolerance_min", "Scheduled check met within", "± min", None,
     fields.IntegerField(), ""),
    ("Observation", "esketamine_min_observation_min", "Esketamine observation at least", "min",
     "ESKETAMINE_MIN_OBSERVATION_MIN", fields.IntegerField(required=False),
     "A clinic may observe longer, never shorter than the label."),
    ("Observation", "observation_from", "Count observation and the 40-minute BP from", "",
     "OBSERVATION_ANCHOR_DEFAULT", _anchor_choice(),
     "The label says after administration; with 84 mg the last device is 10 min later."),
    ("Observation", "esketamine_npo_food_min", "Esketamine: no food before", "min",
     "ESKETAMINE_NPO_FOOD_MIN", fields.IntegerField(required=False), ""),
    ("Observation", "esketamine_npo_liquids_min", "Esketamine: no liquids before", "min",
     "ESKETAMINE_NPO_LIQUIDS_MIN", fields.IntegerField(required=False), ""),
    ("Observation", "observation_min_iv", "IV ketamine observation at least", "min", None,
     fields.IntegerField(required=False), "No published minimum: the clinic's protocol."),
    ("Observation", "observation_min_im", "IM ketamine observation at least", "min", None,
     fields.IntegerField(required=False), "No published minimum: the clinic's protocol."),
    ("Observation", "observation_min_sc", "SC ketamine observation at least", "min", None,
     fields.IntegerField(required=False), "No published minimum: the clinic's protocol."),
    ("Observation", "iv_vitals_schedule_emory_example", "Use the published example IV "
     "vital-sign schedule", "", None, forms.BooleanField(required=False), ""),
    ("Setting", "require_prescriber_on_site_other_routes", "Prescriber on site for racemic "
     "ketamine", "", None, _tri_state(), "Required for esketamine by the REMS; for other "
     "routes a KetaCare default, not a published rule."),
    ("Setting", "require_pulse_oximeter_other_routes", "Pulse oximeter for racemic ketamine",
     "", None, _tri_state(), "Required for esketamine by the REMS; for other routes a "
     "KetaCare default."),
    ("Setting", "cadss_resolved_max_total", "Dissociation resolved at CADSS total at most",
     "points", None, fields.IntegerField(required=False), "Blank: no cutoff set."),
    ("Setting", "care_setting", "Care setting", "", None,
     forms.ChoiceField(choices=[("outpatient", "Outpatient"), ("inpatient", "Inpatient")]), ""),
    ("Outcomes: response", "response_min_reduction_pct", "Response: reduction from baseline at "
     "least", "%", "OUTCOMES_RESPONSE_MIN_REDUCTION_PCT", fields.DecimalField(required=False), ""),
    ("Outcomes: response", "partial_response_min_reduction_pct", "Partial response: reduction "
     "at least", "%", "OUTCOMES_PARTIAL_RESPONSE_MIN_REDUCTION_PCT",
     fields.DecimalField(required=False), "Must be below the response threshold."),
    ("Outcomes: response", "futility_sessions_without_response", "Review for futility after",
     "sessions without response", "OUTCOMES_FUTILITY_SESSIONS_WITHOUT_RESPONSE",
     fields.IntegerField(required=False), ""),
    ("Outcomes: remission", "madrs_remission_max_total", "MADRS remission at total at most",
     "points", "OUTCOMES_MADRS_REMISSION_MAX_TOTAL_ESKETAMINE", fields.IntegerField(required=False),
     "KetECT (2022) used 10 or below; the esketamine programme 12 or below."),
    ("Outcomes: remission", "phq9_remission_max_total", "PHQ-9 remission at total at most",
     "points", "OUTCOMES_PHQ9_REMISSION_MAX_TOTAL", fields.IntegerField(required=False),
     "Remission is PHQ-9 below 5, i.e. at most 4."),
    ("Outcomes: remission", "qids_sr16_remission_max_total", "QIDS-SR16 remission at total at "
     "most", "points", "OUTCOMES_QIDS_SR16_REMISSION_MAX_TOTAL",
     fields.IntegerField(required=False), ""),
    ("Outcomes: relapse", "madrs_relapse_min_total", "MADRS relapse at total at least", "points",
     "OUTCOMES_MADRS_RELAPSE_MIN_TOTAL", fields.IntegerField(required=False), ""),
    ("Outcomes: relapse", "phq9_relapse_min_total", "PHQ-9 relapse at total at least", "points",
     "OUTCOMES_PHQ9_RELAPSE_MIN_TOTAL", fields.IntegerField(required=False), ""),
    ("Outcomes: relapse", "qids_sr16_relapse_min_total", "QIDS-SR16 relapse at total at least",
     "points", "OUTCOMES_QIDS_SR16_RELAPSE_MIN_TOTAL", fields.IntegerField(required=False), ""),
    ("Outcomes: relapse", "relapse_min_consecutive", "Relapse confirmed on", "consecutive "
     "assessments", "OUTCOMES_RELAPSE_MIN_CONSECUTIVE", fields.IntegerField(required=False), ""),
    ("Outcomes: relapse", "relapse_confirmation_min_gap_days", "Confirming assessments at least",
     "days apart", None, fields.IntegerField(required=False),
     "Blank: no spacing rule. SUSTAIN-1 used 5-15 days (not verified, so not a default)."),
    ("Outcomes: relapse", "relapse_confirmation_max_gap_days", "Confirming assessments at most",
     "days apart", None, fields.IntegerField(required=False), "Blank: no spacing rule."),
    ("Outcomes: worsening", "worsening_min_increase_pct", "Sharp worsening: increase at least",
     "%", "OUTCOMES_WORSENING_MIN_INCREASE_PCT", fields.DecimalField(required=False), ""),
    ("Outcomes: worsening", "phq9_worsening_min_increase_points", "PHQ-9 worsening also needs at "
     "least", "points", "OUTCOMES_PHQ9_WORSENING_MIN_INCREASE_POINTS",
     fields.IntegerField(required=False), ""),
    ("Outcomes: worsening", "madrs_worsening_min_increase_points", "MADRS worsening also needs "
     "at least", "points", None, fields.IntegerField(required=False),
     "Blank: the percentage alone (no cited point threshold)."),
    ("Outcomes: worsening", "qids_sr16_worsening_min_increase_points", "QIDS-SR16 worsening also "
     "needs at least", "points", None, fields.IntegerField(required=False),
     "Blank: the percentage alone (no cited point threshold)."),
    ("Maintenance (IV, IM, SC ketamine)", "maintenance_min_interval_days", "Interval at least",
     "days", None, fields.IntegerField(required=False), "No published interval (frequency is "
     "individualised); blank: none. Esketamine always keeps the label's 7-14 days."),
    ("Maintenance (IV, IM, SC ketamine)", "maintenance_max_interval_days", "Interval at most",
     "days", None, fields.IntegerField(required=False), "Blank: none."),
    ("Maintenance (IV, IM, SC ketamine)", "maintenance_default_interval_days",
     "Default interval without enough history", "days", None,
     fields.IntegerField(required=False), "Blank: a clinician sets the date."),
)  # fmt: skip


def cited_default(constant: str | None) -> CitedValue | None:
    return REGISTRY.get(constant) if constant else None


class ClinicPolicyForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded with the new policy version and in the audit trail.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("reason")
        for _, name, label, unit, constant, field, help_text in POLICY_FIELDS:
            field = copy.deepcopy(field)  # the spec's instances are shared
            field.label = f"{label} ({unit})" if unit else label
            default = cited_default(constant)
            if default is not None:
                help_text = (
                    f"{help_text} Blank: the cited default, {default.value} {default.unit}."
                ).strip()
            field.help_text = help_text
            self.fields[name] = field
        self.fields["reason"] = reason

    def sections(self) -> list[tuple[str, list[tuple[forms.BoundField, CitedValue | None]]]]:
        out: dict[str, list] = {}
        for section, name, _, _, constant, _, _ in POLICY_FIELDS:
            out.setdefault(section, []).append((self[name], cited_default(constant)))
        return list(out.items())
