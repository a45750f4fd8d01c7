"""The vitals write both benchmarks post (``bench.web.vitals_body``, which ``bench.cpu``
imports): every body is a reading the API accepts, within the cited plausibility limits."""

import json
from decimal import Decimal

from bench import web
from ketacare.clinical.plausibility import LIMITS


def test_every_timed_vitals_body_is_within_the_plausibility_limits():
    for k in range(9 * 5 * 7):  # every combination of the three varying fields
        body = json.loads(web.vitals_body(k))
        assert body["diastolic_mmhg"] < body["systolic_mmhg"]
        for quantity in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent"):
            assert LIMITS[quantity].admits(Decimal(body[quantity]))
        assert LIMITS["respiratory_rate_per_min"].admits(Decimal(body["respiratory_rate_per_min"]))
