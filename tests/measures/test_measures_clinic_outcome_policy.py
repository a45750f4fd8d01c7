"""The clinic's outcome policy (protocols app) drives measures: outcome status, the
trajectory's remission line, the worsening alert and maintenance bounds for IV ketamine.

Sources of the defaults: MADRS remission <= 12 (SUSTAIN-3, the esketamine programme) with
KetECT's <= 10 as the alternative; worsening >= 20% (Kounali 2020 MCID) with at least 2 PHQ-9
points; IV ketamine maintenance has no published interval, so the bounds are the clinic's.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from ketacare.measures.models import SafetyAlert
from ketacare.measures.selectors import outcomes_for, trajectory_for
from ketacare.measures.services import record_assessment
from ketacare.protocols.demo import DEMO_POLICY
from ketacare.protocols.services import record_clinic_policy

POLICY = DEMO_POLICY  # the clinic's required settings; the tests vary the outcome ones


def madrs_items(total: int) -> list[int]:
    """Ten MADRS ratings (0-6 each) summing to ``total``: filled 6 at a time."""
    items = []
    left = total
    for _ in range(10):
        items.append(min(6, left))
        left -= items[-1]
    assert sum(items) == total
    return items


@pytest.fixture
def set_policy(clinic_admin):
    def save(**outcome):
        return record_clinic_policy(actor=clinic_admin, values={**POLICY, **outcome})

    return save


@pytest.fixture
def madrs_after_a_dose(prescriber, patient, give_doses):
    """Baseline MADRS 30, one IV infusion, then a follow-up MADRS of ``total``."""

    def build(total: int):
        now = timezone.now()
        first = now - timedelta(days=7)
        give_doses([first])
        for score, at, context in ((30, first - timedelta(days=1), "baseline"),
                                   (total, now - timedelta(hours=1), "follow_up")):  # fmt: skip
            record_assessment(
                actor=prescriber,
                patient=patient,
                instrument="madrs",
                items=madrs_items(score),
                context=context,
                taken_at=at,
            )

    return build


def _madrs_status(patient) -> str:
    (madrs,) = [i for i in outcomes_for(patient).assessment.instruments if i.instrument == "madrs"]
    return madrs.status.value


# Baseline 30; every follow-up is >= 50% lower ("responding"), so below the cutoff it is remission.
@pytest.mark.parametrize(
    ("total", "with_12", "with_10"),
    [
        (10, "remission", "remission"),  # at the KetECT cutoff
        (11, "remission", "responding"),  # above 10, at or below 12
        (12, "remission", "responding"),  # at the esketamine-programme cutoff
        (13, "responding", "responding"),  # above both
    ],
)
def test_clinic_switching_madrs_remission_from_12_to_10_changes_the_status_at_11(
    set_policy, patient, madrs_after_a_dose, total, with_12, with_10
):
    madrs_after_a_dose(total)
    set_policy(madrs_remission_max_total=12)
    assert _madrs_status(patient) == with_12
    set_policy(madrs_remission_max_total=10)
    assert _madrs_status(patient) == with_10


def test_without_a_clinic_policy_the_cited_madrs_default_of_12_applies(patient, madrs_after_a_dose):
    madrs_after_a_dose(11)
    assert _madrs_status(patient) == "remission"


def test_trajectory_draws_the_clinics_remission_line_with_its_source(
    set_policy, patient, madrs_after_a_dose
):
    madrs_after_a_dose(11)
    chart = trajectory_for(patient)["madrs"]
    assert chart["remission_max_total"] == 12
    set_policy(madrs_remission_max_total=10)
    chart = trajectory_for(patient)["madrs"]
    assert chart["remission_max_total"] == 10
    assert chart["remission_source"]["key"] == "S17"  # KetECT
    set_policy(madrs_remission_max_total=9)  # the clinic's own cutoff: no citation shown
    assert trajectory_for(patient)["madrs"]["remission_source"] is None


def _worsening_alerts(patient) -> int:
    return SafetyAlert.objects.filter(patient=patient, code="sharp_worsening").count()


def test_clinic_worsening_threshold_decides_the_sharp_worsening_alert(
    set_policy, patient, score_phq9
):
    now = timezone.now()
    set_policy(worsening_min_increase_pct="25")
    score_phq9(10, now - timedelta(days=14))  # the first score: the comparison baseline
    # 10 -> 12 is +20% and +2 points: below the clinic's 25%, no alert.
    score_phq9(12, now - timedelta(days=7))
    assert _worsening_alerts(patient) == 0
    set_policy()  # back to the cited default: >= 20% and >= 2 PHQ-9 points
    # 12 again: unchanged from the previous score, but +20% / +2 points on the baseline of 10.
    score_phq9(12, now - timedelta(days=1))
    assert _worsening_alerts(patient) == 1


@pytest.fixture
def iv_durability_of_21_days(give_doses, score_phq9):
    """Baseline PHQ-9 20; an IV acute series, then two maintenance doses; benefit (PHQ-9 <= 10,
    response) lost 21 days after each dose. Unbounded: floor(21 x 0.75) = 15 days."""
    now = timezone.now()
    t2 = now - timedelta(days=23)
    t1 = t2 - timedelta(days=22)
    t0 = t1 - timedelta(days=22)
    acute = [t0 - timedelta(days=d) for d in (10, 8, 6, 4, 2, 0)]
    score_phq9(20, acute[0] - timedelta(days=1), "baseline")
    give_doses(acute)
    give_doses([t1, t2])
    for start in (t0, t1, t2):
        for week in (7, 14):
            score_phq9(6, start + timedelta(days=week))
        score_phq9(14, start + timedelta(days=21))
    return t2


@pytest.mark.parametrize(
    ("bounds", "interval", "clamp"),
    [
        ({}, 15, None),  # no clinic bounds: durability alone
        ({"maintenance_min_interval_days": 14}, 15, None),  # below the computed 15
        ({"maintenance_min_interval_days": 15}, 15, None),  # at it
        ({"maintenance_min_interval_days": 16}, 16, "clamped_to_minimum_interval"),  # above
        ({"maintenance_max_interval_days": 16}, 15, None),
        ({"maintenance_max_interval_days": 15}, 15, None),
        ({"maintenance_max_interval_days": 14}, 14, "clamped_to_maximum_interval"),
    ],
)
def test_iv_maintenance_is_clamped_to_the_clinics_bounds(
    api, prescriber, patient, set_policy, iv_durability_of_21_days, bounds, interval, clamp
):
    set_policy(**bounds)
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    assert body["basis"] == "observed_durability"
    assert body["interval_days"] == interval
    codes = {r["code"] for r in body["reasons"]}
    assert ("clamped_to_minimum_interval" in codes) == (clamp == "clamped_to_minimum_interval")
    assert ("clamped_to_maximum_interval" in codes) == (clamp == "clamped_to_maximum_interval")
    assert body["min_interval_days"] == bounds.get("maintenance_min_interval_days")
    assert body["max_interval_days"] == bounds.get("maintenance_max_interval_days")


def test_clinic_default_interval_is_used_without_enough_iv_history(
    api, prescriber, patient, set_policy, give_doses, score_phq9
):
    now = timezone.now()
    acute = [now - timedelta(days=d) for d in (20, 18, 16, 14, 12, 10)]
    score_phq9(20, acute[0] - timedelta(days=1), "baseline")
    give_doses(acute)
    score_phq9(6, now - timedelta(days=3))
    set_policy(maintenance_min_interval_days=14, maintenance_default_interval_days=21)
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    assert body["basis"] == "default_interval"
    assert body["interval_days"] == 21


def test_esketamine_keeps_the_label_bounds_whatever_the_clinic_set(
    api, prescriber, patient, set_policy, give_doses, score_phq9
):
    now = timezone.now()
    # Induction twice weekly in weeks 1-4, then weekly from week 5; now in week 10.
    start = now - timedelta(days=66)
    induction = [start + timedelta(days=d) for d in (0, 3, 7, 10, 14, 17, 21, 24)]
    maintenance = [start + timedelta(days=d) for d in (28, 35, 42, 49, 56, 63)]
    score_phq9(20, start - timedelta(days=1), "baseline")
    give_doses(
        induction + maintenance,
        code="in_esketamine_trd",
        weeks=[1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8, 9, 10],
    )
    score_phq9(6, now - timedelta(days=1))
    set_policy(maintenance_min_interval_days=30, maintenance_max_interval_days=60)
    body = api(prescriber).get(f"/patients/{patient.pk}/maintenance").json()
    assert (body["min_interval_days"], body["max_interval_days"]) == (7, 14)
