import pytest

# A clinic's settings for the tests: the required values have no published source, so these
# are clinic choices made for the scenarios, not clinical recommendations.
POLICY = {
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
}


@pytest.fixture
def policy_values():
    return dict(POLICY)
