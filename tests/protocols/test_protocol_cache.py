"""A stored protocol version is built from its JSON once and reused (protocols/mappers.py
``protocol_for_version``), but never in place of what is stored now: a change to the row's
JSON or to the clinic's observation minimums takes effect on the next read."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from ketacare.clinical.dosing.protocols import IV_ELEKT_D
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.protocols.mappers import protocol_for_clinic, protocol_for_version, protocol_to_data
from ketacare.protocols.models import ProtocolVersion
from ketacare.protocols.selectors import get_active_protocol_version
from ketacare.protocols.services import ensure_standard_protocols, record_clinic_policy
from ketacare.treatment.context import setup_for

VERSION_ID = 987_654  # no database: an id the other tests do not use

POLICY = {"observation_min_iv": 60, "observation_min_im": 60, "observation_min_sc": 60}


def test_the_same_stored_protocol_is_built_once_and_equals_a_fresh_build():
    data = protocol_to_data(IV_ELEKT_D)
    first = protocol_for_version(VERSION_ID, data, POLICY)
    assert first == protocol_for_clinic(data, POLICY)
    assert protocol_for_version(VERSION_ID, copy.deepcopy(data), dict(POLICY)) is first


def test_a_changed_soft_limit_under_the_same_version_id_takes_effect_at_once():
    data = protocol_to_data(IV_ELEKT_D)
    before = protocol_for_version(VERSION_ID + 1, data, POLICY)
    changed = copy.deepcopy(data)
    changed["dose_rule"]["soft_limit_mg_per_kg"] = "0.9"
    after = protocol_for_version(VERSION_ID + 1, changed, POLICY)
    assert before.dose_rule.soft_limit_mg_per_kg != Decimal("0.9")
    assert after.dose_rule.soft_limit_mg_per_kg == Decimal("0.9")


def test_a_changed_clinic_observation_minimum_takes_effect_at_once():
    data = protocol_to_data(IV_ELEKT_D)
    assert IV_ELEKT_D.observation_min is None  # the clinic's minimum fills the IV gap
    assert protocol_for_version(VERSION_ID + 2, data, POLICY).observation_min == 60
    longer = {**POLICY, "observation_min_iv": 90}
    assert protocol_for_version(VERSION_ID + 2, data, longer).observation_min == 90
    assert protocol_for_version(VERSION_ID + 2, data, None).observation_min is None


def test_a_row_changed_to_malformed_data_is_refused_not_served_from_the_old_build():
    data = protocol_to_data(IV_ELEKT_D)
    protocol_for_version(VERSION_ID + 3, data, POLICY)
    broken = copy.deepcopy(data)
    broken["schedule"]["phases"][0]["max_sessions_per_week"] = "two"
    with pytest.raises(InvalidClinicalInput) as err:
        protocol_for_version(VERSION_ID + 3, broken, POLICY)
    assert err.value.code == "invalid_protocol"


def test_the_kept_build_does_not_follow_a_later_change_to_the_callers_dict():
    # The entry keeps its own copy of the JSON: a caller's dict edited after the build is
    # compared as it is now.
    data = protocol_to_data(IV_ELEKT_D)
    protocol_for_version(VERSION_ID + 4, data, POLICY)
    data["dose_rule"]["soft_limit_mg_per_kg"] = "0.9"
    rebuilt = protocol_for_version(VERSION_ID + 4, data, POLICY)
    assert rebuilt.dose_rule.soft_limit_mg_per_kg == Decimal("0.9")


@pytest.mark.django_db
def test_a_session_setup_reads_the_protocol_row_as_it_is_now(clinic_admin, policy_values):
    record_clinic_policy(actor=clinic_admin, values=policy_values)
    ensure_standard_protocols(clinic=clinic_admin.clinic)
    version = get_active_protocol_version(clinic_admin.clinic_id, IV_ELEKT_D.code)
    before = setup_for(version).protocol.dose_rule.soft_limit_mg_per_kg
    data = copy.deepcopy(version.parameters)
    data["dose_rule"]["soft_limit_mg_per_kg"] = str(before + Decimal("0.1"))
    # Versions are superseded, never edited, by the services; a row changed behind them
    # (here a raw update) must still not be answered from the cache.
    ProtocolVersion.objects.filter(pk=version.pk).update(parameters=data)
    version = ProtocolVersion.objects.get(pk=version.pk)
    assert setup_for(version).protocol.dose_rule.soft_limit_mg_per_kg == before + Decimal("0.1")
