"""A set of normal pre-dose vital signs, well inside every threshold of the default protocols
(the treatment tests' starting point: a reading that raises no flag and passes every gate)."""

NORMAL_VITALS = {
    "systolic_mmhg": 124,
    "diastolic_mmhg": 78,
    "heart_rate_bpm": 72,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
}
