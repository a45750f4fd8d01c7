"""MOAA/S session rating: levels from S38; sedation and loss of consciousness as defined in
the Spravato US label (S9b): any decrease from pre-dose = sedation, 0 = loss of consciousness."""

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales.moaas import (
    MOAAS_LOSS_OF_CONSCIOUSNESS,
    MOAAS_SEDATION_DECREASE_MIN,
    score_moaas,
)


@pytest.mark.parametrize(
    ("rating", "code", "label"),
    [
        (5, "responds_readily", "Responds readily to name spoken in normal tone"),
        (4, "lethargic_response", "Lethargic response to name spoken in normal tone"),
        (3, "responds_to_loud_name", "Responds only after name is called loudly and/or repeatedly"),
        (2, "responds_to_prodding", "Responds only after mild prodding or shaking"),
        (1, "responds_to_trapezius_squeeze", "Responds only after painful trapezius squeeze"),
        (0, "no_response", "Does not respond to painful trapezius squeeze"),
    ],
)
def test_each_rating_reports_its_published_level(rating, code, label):
    result = score_moaas([rating])
    assert result.total == rating
    assert (result.severity.code, result.severity.label) == (code, label)


# Loss of consciousness = MOAA/S 0 (Spravato label, S9b): at / above.
@pytest.mark.parametrize(("rating", "flagged"), [(MOAAS_LOSS_OF_CONSCIOUSNESS, True), (1, False)])
def test_loss_of_consciousness_boundary(rating, flagged):
    result = score_moaas([rating])
    assert result.has_flag("moaas_loss_of_consciousness") is flagged
    assert result.datum("loss_of_consciousness") is flagged


def test_loss_of_consciousness_is_flagged_without_a_pre_dose_rating():
    result = score_moaas([0])
    assert result.flag_codes == ("moaas_loss_of_consciousness",)
    assert result.datum("sedation_present") is None


# Sedation = any decrease from the pre-dose rating (Spravato label, S9b).
# Decrease 0 (below the edge), 1 (at), 2 (above); and an increase.
@pytest.mark.parametrize(
    ("pre_dose", "rating", "sedated"),
    [
        (5, 5, False),
        (5, 5 - MOAAS_SEDATION_DECREASE_MIN, True),
        (5, 3, True),
        (4, 5, False),
        (4, 4, False),
        (4, 3, True),
    ],
)
def test_sedation_is_any_decrease_from_the_pre_dose_rating(pre_dose, rating, sedated):
    result = score_moaas([rating], pre_dose_rating=pre_dose)
    assert result.datum("sedation_present") is sedated
    assert result.has_flag("moaas_sedation_present") is sedated
    assert result.datum("pre_dose_rating") == pre_dose


def test_mild_sedation_message_names_both_ratings():
    (flag,) = score_moaas([4], pre_dose_rating=5).flags
    assert flag.message.startswith("MOAA/S 4 is below the pre-dose rating of 5")


def test_without_a_pre_dose_rating_sedation_is_unknown_not_guessed():
    result = score_moaas([3])
    assert result.datum("sedation_present") is None
    assert result.flags == ()


@pytest.mark.parametrize("pre_dose", [-1, 6, True, "5", 4.0])
def test_pre_dose_rating_outside_0_to_5_is_refused(pre_dose):
    with pytest.raises(InvalidClinicalInput) as error:
        score_moaas([5], pre_dose_rating=pre_dose)
    assert error.value.code == "pre_dose_rating_out_of_range"


@pytest.mark.parametrize("rating", [-1, 6])
def test_rating_one_past_the_range_is_refused(rating):
    with pytest.raises(InvalidClinicalInput) as error:
        score_moaas([rating])
    assert error.value.code == "item_out_of_range"
    assert error.value.message == f"MOAA/S item 1 must be 0 to 5; got {rating}."


def test_blank_rating_is_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        score_moaas([None])
    assert error.value.code == "item_missing"


def test_two_ratings_are_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        score_moaas([5, 4])
    assert error.value.code == "wrong_item_count"


# S8 (J&J Medical Information, secondary): phase 3 grading, MOAA/S 4 mild, <=3 moderate or
# greater; 0 is loss of consciousness (S9b).
@pytest.mark.parametrize(
    ("rating", "grade"),
    [
        (5, "none"),
        (4, "mild"),
        (3, "moderate_or_deeper"),
        (1, "moderate_or_deeper"),
        (0, "loss_of_consciousness"),
    ],
)
def test_sedation_is_graded_as_in_the_esketamine_programme(rating, grade):
    from ketacare.clinical.scales.moaas import sedation_grade

    assert sedation_grade(rating) == grade


def test_sedation_flag_tells_the_clinician_how_deep_the_sedation_is():
    result = score_moaas([3], pre_dose_rating=5)
    (flag,) = [f for f in result.flags if f.code == "moaas_sedation_present"]
    assert "moderate or deeper sedation (MOAA/S <=3)" in flag.message
    assert result.datum("sedation_grade") == "moderate_or_deeper"
