"""Clinic admin pages: the protocol library, publishing a new protocol version (validated by
the core), and the clinic policy with units and cited defaults. Only clinic admins."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.protocols.models import ClinicPolicyVersion, ProtocolVersion
from ketacare.protocols.services import ensure_standard_protocols, record_clinic_policy

LIBRARY = "/admin-pages/protocols/"
POLICY = "/admin-pages/clinic-policy/"


@pytest.fixture
def library(clinic_a):
    ensure_standard_protocols(clinic=clinic_a)
    return {row.code: row for row in ProtocolVersion.objects.filter(clinic=clinic_a)}


def weight_based(library):
    return next(r for r in library.values() if r.parameters["dose_rule"]["kind"] == "weight_based")


def fixed_step(library):
    return next(r for r in library.values() if r.parameters["dose_rule"]["kind"] == "fixed_step")


def test_library_lists_each_protocol_with_dose_rule_limits_schedule_and_observation(
    client, clinic_admin, library, policy_values
):
    record_clinic_policy(actor=clinic_admin, values=policy_values)
    client.force_login(clinic_admin)
    body = client.get(LIBRARY).content.decode()
    iv = weight_based(library)
    rule = iv.parameters["dose_rule"]
    assert iv.name in body
    assert f"{rule['default_mg_per_kg']} mg/kg" in body
    assert f"ceiling {rule['ceiling_mg_per_kg']} mg/kg" in body
    assert "Sessions per week, at most" in body
    assert "(clinic policy)" in body or "(protocol)" in body
    assert f"/admin-pages/protocols/{iv.code}/new-version/" in body


def test_library_is_in_the_main_navigation_for_clinic_admins(client, clinic_admin, library):
    client.force_login(clinic_admin)
    body = client.get(LIBRARY).content.decode()
    assert f'<a href="{LIBRARY}" aria-current="page">Protocols</a>' in body


def _library_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LIBRARY).status_code == 200
    return len(ctx.captured_queries)


def test_library_query_count_does_not_grow_with_versions(client, clinic_admin, library):
    client.force_login(clinic_admin)
    _library_queries(client)
    before = _library_queries(client)
    iv = weight_based(library)
    data = {**ProtocolVersionInitial.of(iv), "reason": "r"}
    for _ in range(5):
        client.post(f"/admin-pages/protocols/{iv.code}/new-version/", data)
    assert ProtocolVersion.objects.filter(code=iv.code).count() == 6
    assert _library_queries(client) == before


class ProtocolVersionInitial:
    @staticmethod
    def of(row):
        from ketacare.protocols.forms import ProtocolVersionForm

        initial = ProtocolVersionForm.initial_from(row.parameters)
        return {k: ("" if v is None else str(v)) for k, v in initial.items()}


def test_admin_publishes_a_new_version_that_supersedes_the_active_one(
    client, clinic_admin, library
):
    iv = weight_based(library)
    client.force_login(clinic_admin)
    data = {**ProtocolVersionInitial.of(iv), "observation_min": "90", "reason": "Longer stay"}
    response = client.post(f"/admin-pages/protocols/{iv.code}/new-version/", data)
    assert response.status_code == 302
    new = ProtocolVersion.objects.get(code=iv.code, active=True)
    assert (new.version, new.parameters["observation_min"], new.reason) == (2, 90, "Longer stay")
    assert new.parameters["schedule"] == iv.parameters["schedule"]  # carried over


def test_default_above_the_soft_limit_is_refused_by_the_core_next_to_the_field(
    client, clinic_admin, library, unchanged
):
    iv = weight_based(library)
    check = unchanged(ProtocolVersion)
    client.force_login(clinic_admin)
    data = {**ProtocolVersionInitial.of(iv), "default_mg_per_kg": "9", "reason": "typo"}
    body = client.post(f"/admin-pages/protocols/{iv.code}/new-version/", data).content.decode()
    assert 'id="id_default_mg_per_kg_error"' in body
    assert 'value="9"' in body
    check()


def test_fixed_step_protocol_edits_its_dose_steps(client, clinic_admin, library, unchanged):
    spray = fixed_step(library)
    check = unchanged(ProtocolVersion)
    client.force_login(clinic_admin)
    url = f"/admin-pages/protocols/{spray.code}/new-version/"
    page = client.get(url).content.decode()
    assert 'name="steps_mg"' in page
    assert 'name="default_mg_per_kg"' not in page
    body = client.post(
        url, {**ProtocolVersionInitial.of(spray), "steps_mg": "56, lots", "reason": "x"}
    ).content.decode()
    assert 'id="id_steps_mg_error"' in body
    check()


def test_unknown_protocol_code_is_not_found(client, clinic_admin, library):
    client.force_login(clinic_admin)
    assert client.get("/admin-pages/protocols/no_such_code/new-version/").status_code == 404


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist", "frontdesk"])
def test_only_clinic_admins_open_the_protocol_pages(client, people, role, library, unchanged):
    check = unchanged(ProtocolVersion, ClinicPolicyVersion)
    iv = weight_based(library)
    client.force_login(people[role])
    assert client.get(LIBRARY).status_code == 403
    url = f"/admin-pages/protocols/{iv.code}/new-version/"
    assert client.post(url, {**ProtocolVersionInitial.of(iv), "reason": "x"}).status_code == 403
    assert client.get(POLICY).status_code == 403
    assert client.post(POLICY, {"spo2_min_percent": "90"}).status_code == 403
    check()


def test_other_clinic_admin_sees_only_their_own_library(client, clinic_b, library):
    from ketacare.accounts.services import create_user

    admin_b = create_user(
        actor=None,
        clinic=clinic_b,
        username="admin_b",
        password="correct horse battery",
        role="admin",
        validate=False,
    )
    client.force_login(admin_b)
    assert client.get(LIBRARY).status_code == 200
    assert not ProtocolVersion.objects.filter(clinic=clinic_b, created_by__isnull=False).exists()
    iv = weight_based(library)
    assert (
        client.post(
            f"/admin-pages/protocols/{iv.code}/new-version/",
            {**ProtocolVersionInitial.of(iv), "observation_min": "1", "reason": "x"},
        ).status_code
        == 302
    )
    # Clinic A's library is untouched: B published its own version 2.
    assert ProtocolVersion.objects.get(clinic=library[iv.code].clinic, code=iv.code).version == 1


def policy_form(values, **changes):
    data = {"care_setting": "outpatient", **{k: str(v) for k, v in values.items()}}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_clinic_policy_page_shows_units_and_cited_default_sources(client, clinic_admin):
    client.force_login(clinic_admin)
    body = client.get(POLICY).content.decode()
    assert "Not set yet" in body
    assert "Syringe increment (mL)" in body
    assert "Esketamine observation at least (min)" in body
    assert "Blank: the cited default, 120 min." in body
    assert "Default source:" in body


def test_admin_saves_the_clinic_policy_as_a_new_version(client, clinic_admin, policy_values):
    client.force_login(clinic_admin)
    response = client.post(POLICY, policy_form(policy_values, reason="Opening the clinic"))
    assert response.status_code == 302
    row = ClinicPolicyVersion.objects.get(active=True)
    assert row.values["spo2_min_percent"] == 92
    assert row.reason == "Opening the clinic"
    page = client.get(POLICY).content.decode()
    assert "Version 1" in page
    assert 'value="92"' in page


def test_inconsistent_weights_are_refused_by_the_core_next_to_the_field(
    client, clinic_admin, policy_values, unchanged
):
    check = unchanged(ClinicPolicyVersion)
    client.force_login(clinic_admin)
    body = client.post(
        POLICY, policy_form(policy_values, plausible_weight_min_kg="300")
    ).content.decode()
    assert 'id="id_plausible_weight_min_kg_error"' in body
    assert 'value="300"' in body
    check()


def test_out_of_range_value_is_refused_with_the_api_bounds_next_to_the_field(
    client, clinic_admin, policy_values, unchanged
):
    check = unchanged(ClinicPolicyVersion)
    client.force_login(clinic_admin)
    body = client.post(POLICY, policy_form(policy_values, spo2_min_percent="150")).content
    assert 'id="id_spo2_min_percent_error"' in body.decode()
    check()


def test_missing_required_policy_value_is_an_error_next_to_it(
    client, clinic_admin, policy_values, unchanged
):
    check = unchanged(ClinicPolicyVersion)
    client.force_login(clinic_admin)
    body = client.post(POLICY, policy_form(policy_values, syringe_increment_ml=None)).content
    assert 'id="id_syringe_increment_ml_error"' in body.decode()
    check()
