from decimal import Decimal

import pytest

from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.dosing.protocols import IV_ELEKT_D, STANDARD_PROTOCOLS, WeightBasedDose
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.protocols.mappers import (
    dosing_policy_from,
    protocol_from_data,
    protocol_to_data,
    session_policy_for,
)
from ketacare.protocols.models import ClinicPolicyVersion, ProtocolVersion
from ketacare.protocols.selectors import get_active_protocol_version, get_protocols, protocol_of
from ketacare.protocols.services import (
    ensure_standard_protocols,
    record_clinic_policy,
    record_protocol_version,
)


@pytest.mark.parametrize("code", sorted(STANDARD_PROTOCOLS))
def test_every_standard_protocol_survives_the_round_trip_through_json(code):
    protocol = STANDARD_PROTOCOLS[code]
    assert protocol_from_data(protocol_to_data(protocol)) == protocol


def test_a_clinic_gets_the_standard_library_once_on_first_use(prescriber):
    rows = get_protocols(prescriber)
    assert {r.code for r in rows} == set(STANDARD_PROTOCOLS)
    assert all(r.version == 1 and r.active for r in rows)
    assert ensure_standard_protocols(clinic=prescriber.clinic) == 0
    assert ProtocolVersion.objects.count() == len(STANDARD_PROTOCOLS)


def test_admin_raises_the_iv_soft_limit_in_a_new_version_that_supersedes_the_old(
    clinic_admin, prescriber
):
    data = protocol_to_data(IV_ELEKT_D)
    data["dose_rule"]["soft_limit_mg_per_kg"] = "0.75"
    row = record_protocol_version(actor=clinic_admin, data=data, reason="titration protocol")
    assert row.version == 2
    old = ProtocolVersion.objects.get(code=IV_ELEKT_D.code, version=1)
    assert not old.active
    assert old.superseded_at is not None
    current = protocol_of(get_active_protocol_version(prescriber.clinic_id, IV_ELEKT_D.code))
    assert isinstance(current.dose_rule, WeightBasedDose)
    assert current.dose_rule.soft_limit_mg_per_kg == Decimal("0.75")
    assert AuditEntry.objects.filter(action="supersede", target_type="protocols.ProtocolVersion")


def test_soft_limit_above_the_ceiling_is_refused_and_nothing_is_saved(clinic_admin, unchanged):
    ensure_standard_protocols(clinic=clinic_admin.clinic)
    data = protocol_to_data(IV_ELEKT_D)
    data["dose_rule"]["soft_limit_mg_per_kg"] = "1.5"  # ceiling is 1.0 mg/kg
    check = unchanged(ProtocolVersion)
    with pytest.raises(InvalidClinicalInput) as err:
        record_protocol_version(actor=clinic_admin, data=data)
    assert err.value.code == "invalid_protocol"
    check()


def test_prescriber_cannot_edit_the_protocol_library(prescriber, unchanged):
    check = unchanged(ProtocolVersion)
    with pytest.raises(PermissionDenied):
        record_protocol_version(actor=prescriber, data=protocol_to_data(IV_ELEKT_D))
    check()


def test_clinic_policy_maps_to_the_core_policies_with_cited_defaults(clinic_admin, policy_values):
    row = record_clinic_policy(actor=clinic_admin, values=policy_values)
    dosing = dosing_policy_from(row.values)
    session = session_policy_for(row.values)
    assert dosing.weight_max_age_days == 90
    assert dosing.syringe_increment_ml == Decimal("0.1")
    assert session.vitals_thresholds.spo2_min_percent == 92
    # Esketamine values the clinic left unset keep the label's 120 minutes (S1).
    assert session.esketamine_min_observation_min == 120


def test_a_new_clinic_policy_version_supersedes_the_active_one(clinic_admin, policy_values):
    record_clinic_policy(actor=clinic_admin, values=policy_values)
    second = record_clinic_policy(
        actor=clinic_admin, values={**policy_values, "spo2_min_percent": 94}, reason="new oximeter"
    )
    assert second.version == 2
    assert ClinicPolicyVersion.objects.filter(active=True).get() == second


def test_clinic_policy_shorter_than_the_esketamine_label_minimum_is_refused(
    clinic_admin, policy_values, unchanged
):
    check = unchanged(ClinicPolicyVersion)
    with pytest.raises(InvalidClinicalInput):
        record_clinic_policy(
            actor=clinic_admin, values={**policy_values, "esketamine_min_observation_min": 119}
        )
    check()


def test_the_core_refuses_to_dose_without_a_clinic_policy():
    with pytest.raises(InvalidClinicalInput) as err:
        dosing_policy_from(None)
    assert err.value.code == "clinic_policy_not_set"


def test_clinic_observation_minimum_fills_the_iv_protocol_gap(clinic_admin, policy_values):
    record_clinic_policy(actor=clinic_admin, values=policy_values)
    ensure_standard_protocols(clinic=clinic_admin.clinic)
    iv = protocol_of(get_active_protocol_version(clinic_admin.clinic_id, IV_ELEKT_D.code))
    assert IV_ELEKT_D.observation_min is None
    assert iv.observation_min == 60
