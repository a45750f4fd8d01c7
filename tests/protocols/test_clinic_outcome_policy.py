"""Outcome and maintenance settings of the clinic policy: stored on the policy version's
columns, validated by the core's OutcomePolicy/MaintenancePolicy (422 naming the field, nothing
written), audited, shown on the admin page with unit and cited default, and read back by the
API. Defaults: MADRS remission <= 12 (SUSTAIN-3) or KetECT's <= 10, PHQ-9 <= 4 (< 5), QIDS-SR16
<= 5; no published IV maintenance interval (clinic-chosen)."""

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.protocols.models import ClinicPolicyVersion
from ketacare.protocols.selectors import get_outcome_policy

PAGE = "/admin-pages/clinic-policy/"


def test_outcome_settings_are_stored_audited_and_read_back(api, clinic_admin, nurse, policy_values):
    first = api(clinic_admin).post("/clinic-policy", policy_values)
    assert first.status_code == 201, first.content
    assert first.json()["outcomes"] == {}
    saved = api(clinic_admin).post(
        "/clinic-policy",
        {
            **policy_values,
            "madrs_remission_max_total": 10,
            "relapse_confirmation_min_gap_days": 5,
            "relapse_confirmation_max_gap_days": 15,
            "maintenance_min_interval_days": 14,
            "maintenance_max_interval_days": 42,
            "reason": "KetECT remission cutoff; IV maintenance every 2-6 weeks",
        },
    )
    assert saved.status_code == 201, saved.content
    row = ClinicPolicyVersion.objects.get(active=True)
    assert (row.version, row.madrs_remission_max_total) == (2, 10)
    assert "madrs_remission_max_total" not in row.values  # a column, not JSON
    policy = get_outcome_policy(row.clinic_id)
    assert policy.madrs_remission_max_total == 10
    assert policy.phq9_remission_max_total == 4  # unset: the cited default
    assert policy.relapse_confirmation_min_gap.days == 5
    outcomes = api(nurse).get("/clinic-policy").json()["outcomes"]
    assert outcomes["madrs_remission_max_total"] == 10
    assert outcomes["maintenance_max_interval_days"] == 42
    entry = AuditEntry.objects.filter(target_type__icontains="clinicpolicy").latest("id")
    assert entry.action == "supersede"
    assert "madrs_remission_max_total" not in entry.changes["before"]
    assert entry.changes["after"]["madrs_remission_max_total"] == 10
    assert entry.reason.startswith("KetECT")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        # PHQ-9 totals 0-27: remission must lie below the maximum.
        ({"phq9_remission_max_total": 27}, "phq9_remission_max_total",
         "policy_remission_cutoff_out_of_range"),
        # Relapse must be above remission (MADRS 12 -> relapse 12 is not above).
        ({"madrs_relapse_min_total": 12}, "madrs_relapse_min_total",
         "policy_relapse_cutoff_out_of_range"),
        ({"partial_response_min_reduction_pct": "50"}, "partial_response_min_reduction_pct",
         "policy_partial_response_not_below_response"),
        ({"relapse_confirmation_min_gap_days": 16, "relapse_confirmation_max_gap_days": 15},
         "relapse_confirmation_min_gap_days", "policy_relapse_gap_invalid"),
        ({"maintenance_min_interval_days": 30, "maintenance_max_interval_days": 14},
         "maintenance_min_interval_days", "maintenance_bounds_inverted"),
        ({"maintenance_min_interval_days": 14, "maintenance_default_interval_days": 7},
         "maintenance_default_interval_days", "maintenance_default_outside_bounds"),
    ],
)  # fmt: skip
def test_invalid_outcome_policy_is_422_naming_the_field_and_writes_nothing(
    api, clinic_admin, policy_values, unchanged, change, field, code
):
    api(clinic_admin).post("/clinic-policy", policy_values)
    check = unchanged(ClinicPolicyVersion)
    response = api(clinic_admin).post("/clinic-policy", {**policy_values, **change})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == code
    assert body["details"]["field"] == field
    check()
    assert ClinicPolicyVersion.objects.get(active=True).version == 1


@pytest.mark.parametrize(
    ("value", "status"),
    [(26, 201), (27, 422)],  # PHQ-9 maximum 27: a remission cutoff at the maximum is refused
)
def test_phq9_remission_cutoff_below_and_at_the_scale_maximum(
    api, clinic_admin, policy_values, value, status
):
    # A relapse threshold of 27 keeps "relapse above remission" true for a cutoff of 26.
    body = {**policy_values, "phq9_remission_max_total": value, "phq9_relapse_min_total": 27}
    assert api(clinic_admin).post("/clinic-policy", body).status_code == status


def test_nurse_cannot_change_the_outcome_policy(api, nurse, policy_values, unchanged):
    check = unchanged(ClinicPolicyVersion)
    response = api(nurse).post("/clinic-policy", {**policy_values, "madrs_remission_max_total": 10})
    assert response.status_code == 403
    check()


def test_page_shows_outcome_fields_with_units_cited_defaults_and_sources(client, clinic_admin):
    client.force_login(clinic_admin)
    body = client.get(PAGE).content.decode()
    assert "MADRS remission at total at most (points)" in body
    assert "Blank: the cited default, 12 points (remission if total &lt;= value)." in body
    assert "SUSTAIN-3" in body
    assert "PHQ-9 remission at total at most (points)" in body
    assert "Response: reduction from baseline at least (%)" in body
    assert "Interval at least (days)" in body
    assert "Esketamine always keeps the label" in body


def test_page_saves_the_ketect_cutoff_and_refuses_inverted_bounds_next_to_the_field(
    client, clinic_admin, policy_values, unchanged
):
    client.force_login(clinic_admin)
    form = {"care_setting": "outpatient", **{k: str(v) for k, v in policy_values.items()}}
    response = client.post(PAGE, {**form, "madrs_remission_max_total": "10"})
    assert response.status_code == 302
    assert ClinicPolicyVersion.objects.get(active=True).madrs_remission_max_total == 10
    assert 'value="10"' in client.get(PAGE).content.decode()
    check = unchanged(ClinicPolicyVersion)
    body = client.post(
        PAGE,
        {**form, "maintenance_min_interval_days": "30", "maintenance_max_interval_days": "14"},
    ).content.decode()
    assert 'id="id_maintenance_min_interval_days_error"' in body
    check()
