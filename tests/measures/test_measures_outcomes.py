"""GET /patients/{id}/outcomes over a multi-week trajectory, and the chart data."""

from datetime import timedelta

from django.utils import timezone

from ketacare.measures.selectors import trajectory_for


def test_outcomes_show_baseline_latest_status_reason_and_series_over_weeks(
    api, prescriber, patient, give_doses, score_phq9
):
    now = timezone.now()
    first = now - timedelta(days=28)
    give_doses([first + timedelta(days=d) for d in (0, 3, 7, 10, 14, 17)])
    score_phq9(20, first - timedelta(days=2), "baseline")
    score_phq9(14, first + timedelta(hours=20), "post_dose")  # 20 -> 14: -30%
    score_phq9(11, first + timedelta(days=7, hours=-1), "pre_dose")
    score_phq9(8, first + timedelta(days=14, hours=-1), "pre_dose")
    score_phq9(4, first + timedelta(days=21))  # <= 4: PHQ-9 remission (SUSTAIN-3)
    score_phq9(3, first + timedelta(days=27))

    response = api(prescriber).get(f"/patients/{patient.pk}/outcomes")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["doses_given"] == 6
    (phq9,) = body["instruments"]
    assert phq9["instrument"] == "phq9"
    assert phq9["baseline"]["total"] == 20
    assert phq9["latest"]["total"] == 3
    # (3 - 20) / 20 = -85.0 %
    assert phq9["percent_change"] == "-85.0"
    assert phq9["status"] == "remission"
    assert phq9["reason"]["code"] == "remission"
    assert "remission cutoff of 4" in phq9["reason"]["message"]
    assert phq9["reason"]["source"]["key"]
    assert [p["total"] for p in phq9["series"]] == [20, 14, 11, 8, 4, 3]
    assert "sustained_response" in {f["code"] for f in phq9["flags"]}


def test_outcomes_without_doses_are_not_yet_assessed(api, prescriber, patient, score_phq9):
    score_phq9(18, timezone.now() - timedelta(days=1), "baseline")
    body = api(prescriber).get(f"/patients/{patient.pk}/outcomes").json()
    assert body["doses_given"] == 0
    assert body["instruments"][0]["status"] == "not_yet_assessed"


def test_gad7_is_kept_as_a_series_without_an_outcome_rule(api, prescriber, nurse, patient):
    from ketacare.measures.services import record_assessment

    record_assessment(
        actor=nurse,
        patient=patient,
        instrument="gad7",
        items=[1] * 7,
        context="baseline",
        taken_at=timezone.now() - timedelta(days=2),
    )
    body = api(prescriber).get(f"/patients/{patient.pk}/outcomes").json()
    assert body["instruments"] == []
    assert body["other_series"]["gad7"][0]["total"] == 7
    assert body["not_assessed"][0]["code"] == "instrument_not_a_depression_outcome"


def test_trajectory_has_points_bands_remission_line_and_dose_times(patient, give_doses, score_phq9):
    now = timezone.now()
    give_doses([now - timedelta(days=10), now - timedelta(days=7)])
    score_phq9(16, now - timedelta(days=11), "baseline")
    score_phq9(9, now - timedelta(days=3))
    chart = trajectory_for(patient)["phq9"]
    assert chart["instrument_label"] == "PHQ-9"
    assert (chart["min_total"], chart["max_total"]) == (0, 27)
    assert [(p["total"], p["band_label"]) for p in chart["points"]] == [
        (16, "Moderately severe"),
        (9, "Mild"),
    ]
    assert chart["bands"][0] == {"label": "None or minimal", "min_total": 0, "max_total": 4}
    assert chart["remission_max_total"] == 4
    assert [d["at"] for d in chart["doses"]] == [now - timedelta(days=10), now - timedelta(days=7)]
