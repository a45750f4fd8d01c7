"""Maudsley Staging Method: worked examples and band edges (Fekadu 2018 Table 3, S39a;
treatment-failure sub-scores from Fekadu 2009, unverified)."""

import pytest

from ketacare.clinical.eligibility.maudsley import (
    MaudsleyBand,
    MaudsleySeverity,
    maudsley_band,
    score_maudsley,
)
from ketacare.clinical.eligibility.references import MSM_TREATMENT_FAILURE_UNVERIFIED
from ketacare.clinical.errors import InvalidClinicalInput

SEV = MaudsleySeverity


def test_lowest_possible_stage_is_3_mild():
    # duration 1 (0 months) + severity 1 (subsyndromal) + antidepressants 1 (1 failed)
    # + augmentation 0 + ECT 0 = 3
    result = score_maudsley(0, SEV.SUBSYNDROMAL, 1, augmentation_used=False, ect_used=False)
    assert result.total == 3
    assert result.band is MaudsleyBand.MILD


def test_highest_possible_stage_is_15_severe():
    # duration 3 (30 months) + severity 5 (with psychosis) + antidepressants 5 (11 failed)
    # + augmentation 1 + ECT 1 = 15
    result = score_maudsley(
        30, SEV.SEVERE_WITH_PSYCHOSIS, 11, augmentation_used=True, ect_used=True
    )
    assert result.total == 15
    assert result.band is MaudsleyBand.SEVERE


def test_typical_trd_referral_is_moderate():
    # duration 2 (18 months) + severity 3 (moderate) + antidepressants 2 (3 failed)
    # + augmentation 1 + ECT 0 = 8
    result = score_maudsley(18, SEV.MODERATE, 3, augmentation_used=True, ect_used=False)
    assert result.total == 8
    assert result.band is MaudsleyBand.MODERATE
    c = result.components
    assert (c.duration, c.severity, c.antidepressants, c.augmentation, c.ect) == (2, 3, 2, 1, 0)


# Duration edges, Table 3: acute <=12 months, sub-acute 13-24, chronic >24.
@pytest.mark.parametrize(
    ("months", "points"),
    [(11, 1), (12, 1), (13, 2), (23, 2), (24, 2), (25, 3)],
)
def test_episode_duration_points(months, points):
    result = score_maudsley(months, SEV.MILD, 1, augmentation_used=False, ect_used=False)
    assert result.components.duration == points


@pytest.mark.parametrize(
    ("severity", "points"),
    [
        (SEV.SUBSYNDROMAL, 1),
        (SEV.MILD, 2),
        (SEV.MODERATE, 3),
        (SEV.SEVERE_WITHOUT_PSYCHOSIS, 4),
        (SEV.SEVERE_WITH_PSYCHOSIS, 5),
    ],
)
def test_severity_points(severity, points):
    assert score_maudsley(0, severity, 1, False, False).components.severity == points


# Antidepressant levels (Fekadu 2009, unverified): 1-2, 3-4, 5-6, 7-10, >10 -> 1..5.
@pytest.mark.parametrize(
    ("failed", "level"),
    [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (10, 4), (11, 5), (20, 5)],
)
def test_antidepressant_failure_levels(failed, level):
    assert score_maudsley(0, SEV.MILD, failed, False, False).components.antidepressants == level


# Band edges, Table 3: Mild 3-6, Moderate 7-10, Severe 11-15.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (3, MaudsleyBand.MILD),
        (6, MaudsleyBand.MILD),
        (7, MaudsleyBand.MODERATE),
        (10, MaudsleyBand.MODERATE),
        (11, MaudsleyBand.SEVERE),
        (15, MaudsleyBand.SEVERE),
    ],
)
def test_band_edges(total, band):
    assert maudsley_band(total) is band


@pytest.mark.parametrize(
    ("args", "total", "band"),
    [
        # 1 (<=12 m) + 3 (moderate) + 1 (2 failed) + 1 (augmentation) + 0 = 6
        ((12, SEV.MODERATE, 2, True, False), 6, MaudsleyBand.MILD),
        # 2 (13 m) + 3 (moderate) + 1 (2 failed) + 1 (augmentation) + 0 = 7
        ((13, SEV.MODERATE, 2, True, False), 7, MaudsleyBand.MODERATE),
        # 2 (24 m) + 4 (severe) + 2 (4 failed) + 1 + 1 = 10
        ((24, SEV.SEVERE_WITHOUT_PSYCHOSIS, 4, True, True), 10, MaudsleyBand.MODERATE),
        # 3 (25 m) + 4 (severe) + 2 (4 failed) + 1 + 1 = 11
        ((25, SEV.SEVERE_WITHOUT_PSYCHOSIS, 4, True, True), 11, MaudsleyBand.SEVERE),
    ],
)
def test_scored_band_edges_6_7_and_10_11(args, total, band):
    result = score_maudsley(*args)
    assert (result.total, result.band) == (total, band)


def test_result_says_treatment_failure_subscores_are_unverified():
    assert MSM_TREATMENT_FAILURE_UNVERIFIED.verified is False
    assert score_maudsley(0, SEV.MILD, 1, False, False).fully_verified is False


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((0, SEV.MILD, 0, False, False), "msm_requires_failed_antidepressant"),
        ((-1, SEV.MILD, 1, False, False), "msm_duration_invalid"),
        ((True, SEV.MILD, 1, False, False), "msm_duration_invalid"),
        ((0, "mild", 1, False, False), "msm_severity_invalid"),
        ((0, SEV.MILD, 1, "yes", False), "msm_flag_invalid"),
        ((0, SEV.MILD, 1, False, None), "msm_flag_invalid"),
    ],
)
def test_invalid_msm_input_gives_no_score(args, code):
    with pytest.raises(InvalidClinicalInput) as excinfo:
        score_maudsley(*args)
    assert excinfo.value.code == code


@pytest.mark.parametrize("total", [2, 16])
def test_band_outside_3_to_15_is_invalid(total):
    with pytest.raises(InvalidClinicalInput) as excinfo:
        maudsley_band(total)
    assert excinfo.value.code == "msm_total_out_of_range"
