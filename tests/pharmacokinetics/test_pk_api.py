"""/api/v1/pk: model catalogue, simulation (individual and population) and dose suggestion.

Stateless decision support: no patient id, nothing stored, no audit entry.
"""

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.pharmacokinetics.simulations import (
    SYNC_MAX_POPULATION,
    SYNC_MAX_TIME_POINTS,
)

ADULT = {"weight_kg": 70, "age_years": 45, "sex": "female"}
IV_40_MIN = [{"time_min": 0, "dose_mg": 35, "duration_min": 40}]
NASAL_56 = [{"time_min": 0, "dose_mg": 56}, {"time_min": 4320, "dose_mg": 56}]


def simulate(api, user, **changes):
    body = {
        "model": "perez_ruixo_2021",
        "route": "iv",
        "regimen": IV_40_MIN,
        "patient": ADULT,
        "horizon_min": 600,
        "step_min": 1,
    }
    body.update(changes)
    return api(user).post("/pk/simulate", body)


def test_catalogue_lists_models_with_parameters_units_sources_population_and_routes(api, nurse):
    response = api(nurse).get("/pk/models")
    assert response.status_code == 200
    models = {m["code"]: m for m in response.json()["items"]}
    assert {"perez_ruixo_2021", "otto_2021", "kamp_2020"} <= set(models)
    esketamine = models["perez_ruixo_2021"]
    assert sorted(esketamine["routes"]) == ["intranasal", "iv", "oral"]
    assert esketamine["metabolite"] == "noresketamine"
    vc = next(p for p in esketamine["parameters"] if p["name"] == "vc")
    assert vc == {"name": "vc", "value": 192.0, "unit": "L"}
    assert "Perez-Ruixo" in esketamine["source"]["citation"]
    assert "820" in esketamine["population"]
    assert models["otto_2021"]["between_subject_variability"]["cov:vc,cl"] == 0.02261
    assert models["kamp_2020"]["routes"] == ["iv"]


def test_individual_curve_has_times_concentrations_metabolite_and_summary(api, prescriber):
    response = simulate(api, prescriber, threshold_ng_ml=50)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "individual"
    assert len(body["times_min"]) == len(body["concentration_ng_ml"]) == 601
    assert body["metabolite"] == "noresketamine"
    assert len(body["metabolite_ng_ml"]) == 601
    summary = body["summary"]
    # IV infusion: the peak is at the end of the 40-minute infusion
    assert summary["tmax_min"] == 40
    assert summary["cmax_ng_ml"] == max(body["concentration_ng_ml"])
    assert summary["auc_ng_h_ml"] > 0
    assert summary["threshold_ng_ml"] == 50
    assert summary["time_above_min"] is not None
    assert body["label"] == "decision_support"


def test_population_answer_has_percentile_bands_and_summary_percentiles(api, researcher):
    response = simulate(
        api,
        researcher,
        route="intranasal",
        regimen=NASAL_56,
        horizon_min=7 * 1440,
        population={"n": 200, "seed": 4},
        threshold_ng_ml=40,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "population"
    assert body["n_patients"] == 200
    assert body["seed"] == 4
    bands = body["percentiles"]
    assert set(bands) == {"p5", "p25", "p50", "p75", "p95"}
    assert all(len(v) == len(body["times_min"]) for v in bands.values())
    assert all(lo <= hi for lo, hi in zip(bands["p5"], bands["p95"], strict=True))
    assert body["metabolite_percentiles"] is not None
    pct = body["summary_percentiles"]["cmax_ng_ml"]
    assert pct["p5"] < pct["p50"] < pct["p95"]
    assert body["summary"]["cmax_ng_ml"] == pct["p50"]
    assert body["summary_percentiles"]["time_above_min"]["p95"] > 0


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"regimen": [{"time_min": 0, "dose_mg": -5}]}, "invalid_dose"),
        ({"regimen": [{"time_min": 0, "dose_mg": 0}]}, "invalid_dose"),
        ({"model": "no_such_model"}, "unknown_pk_model"),
        ({"route": "rectal"}, "unknown_route"),
        ({"model": "kamp_2020", "route": "intranasal"}, "route_not_supported"),
        ({"patient": {**ADULT, "weight_kg": 1}}, "invalid_weight"),
        ({"threshold_ng_ml": -1}, "invalid_threshold"),
        # one curve: at most SYNC_MAX_TIME_POINTS points (50,000 = 34.7 days at 1 min)
        ({"horizon_min": SYNC_MAX_TIME_POINTS - 1, "step_min": 1}, None),
        ({"horizon_min": SYNC_MAX_TIME_POINTS, "step_min": 1}, "horizon_too_large"),
        ({"population": {"n": SYNC_MAX_POPULATION + 1, "seed": 1}}, "population_too_large"),
        ({"population": {"n": 0, "seed": 1}}, "invalid_population_size"),
        ({"model": "kamp_2020", "population": {"n": 10}}, "no_between_subject_variability"),
        (
            {"horizon_min": 84 * 1440, "population": {"n": SYNC_MAX_POPULATION}},
            None,
        ),
        (
            {"horizon_min": 84 * 1440, "step_min": 0.5, "population": {"n": 2000}},
            "horizon_too_large",
        ),
    ],
)
def test_bad_or_too_large_simulation_requests_are_refused_with_the_core_code(
    api, prescriber, changes, code
):
    # The API client's token is issued (and audited) inside ``simulate``; nothing else may be.
    not_token = AuditEntry.objects.exclude(action="token_issued")
    before = not_token.count()
    response = simulate(api, prescriber, **changes)
    if code is None:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 422, response.content
        assert response.json()["code"] == code
    assert not_token.count() == before  # stateless: nothing audited


def test_dose_suggestion_matches_the_reference_peak_and_is_labelled_decision_support(
    api, prescriber
):
    body = {
        "model": "perez_ruixo_2021",
        "route": "iv",
        "exposure": "peak",
        "patient": {"weight_kg": 90, "age_years": 70, "sex": "male"},
        "duration_min": 40,
        "protocol": "iv_racemic_elektd",
    }
    response = api(prescriber).post("/pk/individualize", body)
    # The esketamine model cannot take limits from a racemic-ketamine protocol.
    assert response.status_code == 422
    assert response.json()["code"] == "protocol_drug_mismatch"
    body.update(protocol=None, min_mg=5, max_mg=90)
    response = api(prescriber).post("/pk/individualize", body)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["label"] == "decision_support"
    assert result["achieved"] == pytest.approx(result["target"], rel=0.01)
    assert result["limits"] == {
        "min_mg": 5,
        "max_mg": 90,
        "protocol": None,
        "note": "given by the caller",
    }
    assert result["message"].startswith("Decision support")


def test_protocol_limits_for_the_route_clamp_the_suggestion(api, prescriber):
    # in_esketamine_trd: fixed steps 28/56/84 mg -> limits 28..84 mg. A peak matching
    # 35 mg IV over 40 min needs far more than 84 mg intranasally, so the ceiling applies.
    body = {
        "model": "perez_ruixo_2021",
        "route": "intranasal",
        "exposure": "peak",
        "patient": ADULT,
        "protocol": "in_esketamine_trd",
    }
    response = api(prescriber).post("/pk/individualize", body)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["limits"]["min_mg"] == 28
    assert result["limits"]["max_mg"] == 84
    assert result["limited_by"] == "max_mg"
    assert result["dose_mg"] == 84


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"protocol": "no_such_protocol"}, "unknown_protocol"),
        ({"protocol": "iv_racemic_elektd"}, "protocol_route_mismatch"),
        ({"protocol": None}, "dose_limits_required"),
        ({"protocol": None, "min_mg": 50, "max_mg": 10}, "invalid_dose_limits"),
        ({"route": "im"}, "route_not_supported"),
        ({"patient": {**ADULT, "age_years": 130}}, "invalid_age"),
    ],
)
def test_bad_dose_suggestion_requests_are_refused_with_the_core_code(
    api, prescriber, changes, code
):
    body = {
        "model": "perez_ruixo_2021",
        "route": "intranasal",
        "exposure": "auc",
        "patient": ADULT,
        "protocol": "in_esketamine_trd",
    }
    body.update(changes)
    response = api(prescriber).post("/pk/individualize", body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code


@pytest.mark.parametrize("role", ["frontdesk", "clinic_admin", "patient_user"])
def test_roles_without_clinical_tools_cannot_simulate(api, request, role):
    user = request.getfixturevalue(role)
    assert api(user).get("/pk/models").status_code == 403
    assert simulate(api, user).status_code == 403
