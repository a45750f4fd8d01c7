"""Maintenance timing on dose histories with known durability (issue 4, item 4).

The core rule (clinical.outcomes.maintenance, a KetaCare product heuristic): with at least two
observed losses of benefit, the next dose is due floor(median durability x 0.75) days after
the last dose; three strictly shorter observed durabilities, the last at least 25% below the
first, flag "durability shortening". Durability here is measured against response (PHQ-9 at
least 50% below the baseline of 20, i.e. 10 or less); a score of 11 or more is a loss.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

BASELINE = 20


@pytest.fixture
def acute_then_maintenance(give_doses, score_phq9):
    """Baseline 20; an acute IV series of six infusions ending at t0; then maintenance doses
    at t1 and t2 (a second course). Returns (t0, t1, t2)."""

    def build(losses_days: tuple[int, int, int], *, last_loss: bool = True):
        now = timezone.now()
        d0, d1, d2 = losses_days
        t2 = now - timedelta(days=d2 + 2)
        t1 = t2 - timedelta(days=d1 + 1)
        t0 = t1 - timedelta(days=d0 + 1)
        acute = [t0 - timedelta(days=d) for d in (10, 8, 6, 4, 2, 0)]
        score_phq9(BASELINE, acute[0] - timedelta(days=1), "baseline")
        give_doses(acute)
        give_doses([t1, t2])
        for start, days, loss in ((t0, d0, True), (t1, d1, True), (t2, d2, last_loss)):
            for week in range(7, days, 7):
                score_phq9(6, start + timedelta(days=week))  # still responding
            score_phq9(14 if loss else 7, start + timedelta(days=days))
        return t0, t1, t2

    return build


def test_known_durability_of_21_days_schedules_the_next_dose_15_days_after_the_last(
    api, prescriber, patient, acute_then_maintenance
):
    t0, _t1, t2 = acute_then_maintenance((21, 21, 21))
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    assert body["status"] == "recommended"
    assert body["acute_series_ended_at"].startswith(t0.strftime("%Y-%m-%dT%H:%M"))
    assert body["basis"] == "observed_durability"
    # Durabilities 21, 21, 21 days -> median 21; floor(21 x 0.75) = floor(15.75) = 15 days
    assert [d["duration_days"] for d in body["durations"]] == ["21.00", "21.00", "21.00"]
    assert body["median_durability_days"] == "21.00"
    assert body["interval_days"] == 15
    assert body["next_dose_at"].startswith((t2 + timedelta(days=15)).strftime("%Y-%m-%dT%H:%M"))
    assert body["durability_shortening"] is False
    # t2 + 15 days is 21 + 2 - 15 = 8 days ago: due
    assert body["due"] is True
    assert body["instrument"] == "phq9"
    assert body["threshold"] == "response"
    assert "scheduled_before_expected_loss" in {r["code"] for r in body["reasons"]}
    assert len(body["doses_used"]) == 8


def test_shortening_durability_is_flagged_and_the_patient_is_listed_as_due(
    api, prescriber, patient, acute_then_maintenance
):
    _t0, _t1, t2 = acute_then_maintenance((28, 21, 14))
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    # 28, 21, 14 days: strictly shorter, 14 <= 28 x 0.75 = 21 -> shortening
    assert body["durability_shortening"] is True
    assert "durability_shortening" in {r["code"] for r in body["reasons"]}
    # median 21 -> 15 days after t2, which was 16 days ago: due
    assert body["interval_days"] == 15
    assert body["next_dose_at"].startswith((t2 + timedelta(days=15)).strftime("%Y-%m-%dT%H:%M"))
    due = api(prescriber).get("/maintenance/due").json()
    assert [d["patient_id"] for d in due] == [patient.pk]


def test_benefit_outlasting_every_interval_keeps_the_last_interval(
    api, prescriber, patient, give_doses, score_phq9
):
    now = timezone.now()
    acute = [now - timedelta(days=d) for d in (60, 58, 56, 54, 52, 50)]
    score_phq9(BASELINE, acute[0] - timedelta(days=1), "baseline")
    give_doses(acute)
    maintenance = [now - timedelta(days=d) for d in (26, 12)]
    give_doses(maintenance)
    for d in (45, 40, 30, 20, 15, 8, 3):
        score_phq9(5, now - timedelta(days=d))
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    # No loss after the doses at day -50 (24 d to -26) and -26 (14 d to -12): keep the last
    # interval, 14 days; -12 + 14 = 2 days from now, so not yet due
    assert body["basis"] == "durability_exceeds_interval"
    assert body["interval_days"] == 14
    assert body["due"] is False


def test_no_recommendation_while_the_acute_series_is_ongoing(
    api, prescriber, patient, give_doses, score_phq9
):
    now = timezone.now()
    score_phq9(BASELINE, now - timedelta(days=5), "baseline")
    give_doses(
        [now - timedelta(days=4), now - timedelta(days=2)],
        pending=[now + timedelta(days=1), now + timedelta(days=3)],
    )
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    assert body["status"] == "acute_series_ongoing"
    assert body["next_dose_at"] is None


def test_no_recommendation_without_doses(api, prescriber, patient):
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    assert body["status"] == "no_doses"
    assert body["reasons"] == []


def test_esketamine_maintenance_is_clamped_to_the_label_bounds(
    api, prescriber, patient, give_doses, score_phq9
):
    """Esketamine from week 9: every 1 or 2 weeks (label, S2/S3). A 28-day durability would
    give floor(28 x 0.75) = 21 days; the label maximum of 14 days applies."""
    now = timezone.now()
    start = now - timedelta(days=120)
    induction = [start + timedelta(days=d) for d in (0, 3, 7, 10, 14, 17, 21, 24)]
    score_phq9(BASELINE, start - timedelta(days=1), "baseline")
    later = [start + timedelta(days=d) for d in (52, 81)]
    give_doses(
        induction + later,
        code="in_esketamine_trd",
        weeks=[1, 1, 2, 2, 3, 3, 4, 4, 8, 12],
    )
    for dose_day in (24, 52, 81):
        score_phq9(6, start + timedelta(days=dose_day + 14))
        score_phq9(15, start + timedelta(days=dose_day + 28))
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    assert body["drug"] == "esketamine"
    assert (body["min_interval_days"], body["max_interval_days"]) == (7, 14)
    assert body["interval_days"] == 14
    assert "clamped_to_maximum_interval" in {r["code"] for r in body["reasons"]}
    assert body["bounds_source"]["key"]
