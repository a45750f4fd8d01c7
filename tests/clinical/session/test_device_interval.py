from datetime import timedelta

import pytest
from session_builders import DOSE_AT

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.session.checks import check_device_interval


# Esketamine (S3): rest at least 5 minutes between devices; 4:59 blocks, 5:00 passes.
@pytest.mark.parametrize(
    ("gap", "blocked"),
    [
        (timedelta(minutes=4, seconds=59), True),
        (timedelta(minutes=5), False),
        (timedelta(minutes=5, seconds=1), False),
    ],
)
def test_device_interval_boundary(gap, blocked):
    decision = check_device_interval((DOSE_AT, DOSE_AT + gap))
    assert (not decision.allowed) is blocked


def test_the_second_gap_of_an_84_mg_dose_is_checked_too():
    times = (DOSE_AT, DOSE_AT + timedelta(minutes=5), DOSE_AT + timedelta(minutes=9))
    [blocker] = check_device_interval(times).blockers
    assert blocker.code == "device_interval_too_short"
    assert not blocker.overridable
    assert dict(blocker.data) == {
        "device": 3,
        "interval_seconds": 240,
        "min_interval_seconds": 300,
    }


def test_a_single_device_needs_no_interval():
    assert check_device_interval((DOSE_AT,)).allowed


def test_device_times_out_of_order_are_refused():
    with pytest.raises(InvalidClinicalInput) as error:
        check_device_interval((DOSE_AT, DOSE_AT - timedelta(minutes=6)))
    assert error.value.code == "device_times_out_of_order"


def test_a_zero_minimum_interval_is_refused():
    with pytest.raises(InvalidClinicalInput):
        check_device_interval((DOSE_AT,), min_interval=timedelta(0))
