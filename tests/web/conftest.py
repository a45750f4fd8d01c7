"""The chart's header reads what the treatment scenarios build (an evaluated, consented,
enrolled patient with an esketamine course): the same building blocks, not a copy."""

from tests.treatment.conftest import (  # noqa: F401
    clinic_policy,
    consent_for,
    esketamine_course,
    evaluate,
    rems_enrolled,
)
