"""The rating-scale registry: one ``score`` door, and descriptions for the API listing."""

import json

import pytest

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.scales import (
    SCALES,
    ScaleKind,
    describe_scale,
    list_scales,
    score,
    score_gad7,
    score_phq9,
)
from ketacare.clinical.scales._instrument import (
    Band,
    Instrument,
    ItemSpec,
    ResponseOption,
    ScoringRule,
    numbered_items,
)
from ketacare.clinical.scales.references import KROENKE_2001

EXAMPLE_ANSWERS = {
    "phq9": [1] * 9,
    "gad7": [1] * 7,
    "madrs": [1] * 10,
    "qids_sr16": [1] * 16,
    "cssrs_screener": [1, 0, None, None, None, 0],
    "moaas": [5],
    "cadss": [0] * 23,
}


def test_registry_holds_the_five_measurement_and_two_session_scales():
    assert set(SCALES) == set(EXAMPLE_ANSWERS)
    measurement = {d.code for d in list_scales(ScaleKind.MEASUREMENT)}
    session = {d.code for d in list_scales(ScaleKind.SESSION)}
    assert measurement == {"phq9", "gad7", "madrs", "qids_sr16", "cssrs_screener"}
    assert session == {"moaas", "cadss"}
    assert len(list_scales()) == 7


def test_score_dispatches_to_the_instrument():
    # PHQ-9: 9 x 1 = 9 -> mild; GAD-7: 7 x 1 = 7 -> mild
    assert score("phq9", [1] * 9) == score_phq9([1] * 9)
    assert score("gad7", [1] * 7) == score_gad7([1] * 7)
    assert score("phq9", [1] * 9).total == 9


@pytest.mark.parametrize("code", sorted(EXAMPLE_ANSWERS))
def test_every_scale_scores_through_the_registry_and_serialises(code):
    result = score(code, EXAMPLE_ANSWERS[code])
    assert result.scale_code == code
    assert result.is_complete is True
    json.dumps(result.as_dict())


@pytest.mark.parametrize("code", ["PHQ9", "phq-9", "hamd", "", None, 9])
def test_unknown_scale_is_refused(code):
    with pytest.raises(InvalidClinicalInput) as error:
        score(code, [0] * 9)
    assert error.value.code == "unknown_scale"
    assert "phq9" in error.value.details["known"]


def test_phq9_description_lists_items_values_and_public_response_labels():
    description = describe_scale("phq9")
    assert (description.code, description.short_name, description.item_count) == (
        "phq9",
        "PHQ-9",
        9,
    )
    assert description.kind is ScaleKind.MEASUREMENT
    assert description.items[8].label == "Item 9: thoughts of death or self-harm"
    assert description.items[0].allowed_values == (0, 1, 2, 3)
    assert [o.label for o in description.items[0].options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert (description.min_total, description.max_total) == (0, 27)
    assert [(b.code, b.min_total, b.max_total) for b in description.bands] == [
        ("none_minimal", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("moderately_severe", 15, 19),
        ("severe", 20, 27),
    ]


@pytest.mark.parametrize("code", ["madrs", "qids_sr16", "cadss"])
def test_no_response_anchors_are_shipped_for_restricted_instruments(code):
    assert all(item.options == () for item in describe_scale(code).items)


def test_cssrs_description_lists_risk_levels_and_has_no_total():
    description = describe_scale("cssrs_screener")
    assert description.scoring is ScoringRule.RISK_CATEGORY
    assert (description.min_total, description.max_total) == (None, None)
    assert [lv.code for lv in description.levels] == ["none", "low", "moderate", "high"]
    assert [i.number for i in description.items if i.skippable] == [3, 4, 5]


@pytest.mark.parametrize("code", sorted(EXAMPLE_ANSWERS))
def test_every_description_serialises_for_the_api(code):
    payload = json.loads(json.dumps(describe_scale(code).as_dict()))
    assert payload["code"] == code
    assert payload["item_count"] == len(payload["items"])
    assert payload["kind"] in {"measurement", "session"}


def _spec(bands):
    return Instrument(
        code="test",
        short_name="TEST",
        name="Test",
        version="1",
        kind=ScaleKind.MEASUREMENT,
        items=numbered_items(["a", "b"], (0, 1, 2)),
        scoring=ScoringRule.SUM,
        scorer=score_phq9,
        sources=(KROENKE_2001,),
        bands=bands,
    )


def test_a_spec_whose_bands_leave_a_gap_fails_when_declared():
    # items 0-2 x 2 -> totals 0-4; bands 0-1 and 3-4 leave 2 uncovered
    with pytest.raises(ValueError, match="contiguous"):
        _spec((Band("a", "A", 0, 1, KROENKE_2001), Band("b", "B", 3, 4, KROENKE_2001)))


def test_a_spec_whose_bands_stop_short_of_the_maximum_fails_when_declared():
    with pytest.raises(ValueError, match="maximum"):
        _spec((Band("a", "A", 0, 3, KROENKE_2001),))


def test_an_option_label_for_a_value_that_is_not_allowed_fails_when_declared():
    with pytest.raises(ValueError, match="option"):
        ItemSpec(1, "x", (0, 1), (ResponseOption(2, "Two"),))
