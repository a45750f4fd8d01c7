"""Consent validity timelines: signed before/after as_of, withdrawn, superseded by material vs
non-material versions, wrong route. KetaCare policy: no treatment without valid consent."""

from datetime import UTC, datetime, timedelta

import pytest

from ketacare.clinical.consent import (
    ConsentDocumentVersion,
    ConsentSignature,
    consent_gate,
    has_valid_consent,
)
from ketacare.clinical.eligibility.routes import Route
from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.clinical.gates import Override

T0 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
AS_OF = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def version(
    number: int,
    *,
    route: Route = Route.INTRANASAL,
    material: bool = True,
    effective_at: datetime = T0,
) -> ConsentDocumentVersion:
    return ConsentDocumentVersion(
        document_id=f"consent-{route.value}",
        route=route,
        version_number=number,
        effective_at=effective_at,
        material_change=material,
    )


V1 = version(1)
V1_IV = version(1, route=Route.IV)


def signed(
    v: ConsentDocumentVersion = V1,
    *,
    at: datetime = T0 + timedelta(days=1),
    withdrawn_at: datetime | None = None,
) -> ConsentSignature:
    return ConsentSignature(version=v, signed_at=at, withdrawn_at=withdrawn_at)


def status(signatures, versions, route=Route.INTRANASAL, as_of=AS_OF):
    return has_valid_consent(signatures, versions, route, as_of)


def test_signed_current_version_is_valid():
    s = signed()
    result = status([s], {Route.INTRANASAL: [V1]})
    assert result.valid is True
    assert result.code == "consent_valid"
    assert result.signature == s
    assert consent_gate([s], {Route.INTRANASAL: [V1]}, Route.INTRANASAL, AS_OF).allowed


# Signed-at boundary: a signature counts at or before as_of, not after.
@pytest.mark.parametrize(
    ("signed_at", "code"),
    [
        (AS_OF - timedelta(seconds=1), "consent_valid"),
        (AS_OF, "consent_valid"),
        (AS_OF + timedelta(seconds=1), "consent_missing"),
    ],
)
def test_signature_time_boundary(signed_at, code):
    assert status([signed(at=signed_at)], {Route.INTRANASAL: [V1]}).code == code


# Withdrawal boundary: withdrawn at or before as_of means no consent.
@pytest.mark.parametrize(
    ("withdrawn_at", "code"),
    [
        (AS_OF - timedelta(seconds=1), "consent_withdrawn"),
        (AS_OF, "consent_withdrawn"),
        (AS_OF + timedelta(seconds=1), "consent_valid"),
    ],
)
def test_withdrawal_time_boundary(withdrawn_at, code):
    assert status([signed(withdrawn_at=withdrawn_at)], {Route.INTRANASAL: [V1]}).code == code


def test_no_signature_is_missing():
    result = status([], {Route.INTRANASAL: [V1]})
    assert (result.valid, result.code, result.signature) == (False, "consent_missing", None)


def test_consent_for_another_route_does_not_count():
    result = status([signed(V1_IV)], {Route.INTRANASAL: [V1], Route.IV: [V1_IV]})
    assert result.code == "consent_missing"
    assert "intranasal" in result.message


def test_material_new_version_supersedes_the_signed_one():
    v2 = version(2, material=True, effective_at=T0 + timedelta(days=30))
    result = status([signed()], {Route.INTRANASAL: [V1, v2]})
    assert result.valid is False
    assert result.code == "consent_superseded"
    assert "version 2" in result.message


def test_non_material_new_versions_keep_the_signed_consent_valid():
    v2 = version(2, material=False, effective_at=T0 + timedelta(days=30))
    v3 = version(3, material=False, effective_at=T0 + timedelta(days=60))
    assert status([signed()], {Route.INTRANASAL: [V1, v2, v3]}).valid is True


def test_one_material_version_among_non_material_ones_supersedes():
    v2 = version(2, material=False, effective_at=T0 + timedelta(days=30))
    v3 = version(3, material=True, effective_at=T0 + timedelta(days=60))
    v4 = version(4, material=False, effective_at=T0 + timedelta(days=90))
    result = status([signed()], {Route.INTRANASAL: [V1, v2, v3, v4]})
    assert result.code == "consent_superseded"
    assert "version 3" in result.message


def test_material_version_not_yet_in_force_does_not_supersede():
    v2 = version(2, material=True, effective_at=AS_OF + timedelta(days=1))
    assert status([signed()], {Route.INTRANASAL: [V1, v2]}).valid is True


def test_re_consent_to_the_new_material_version_restores_validity():
    v2 = version(2, material=True, effective_at=T0 + timedelta(days=30))
    old, new = signed(), signed(v2, at=T0 + timedelta(days=40))
    result = status([old, new], {Route.INTRANASAL: [V1, v2]})
    assert result.valid is True
    assert result.signature == new


def test_latest_signature_explains_refusal_when_none_is_valid():
    v2 = version(2, material=True, effective_at=T0 + timedelta(days=30))
    old = signed(at=T0 + timedelta(days=1))  # superseded by v2
    withdrawn = signed(v2, at=T0 + timedelta(days=40), withdrawn_at=T0 + timedelta(days=50))
    result = status([old, withdrawn], {Route.INTRANASAL: [V1, v2]})
    assert result.code == "consent_withdrawn"
    assert result.signature == withdrawn


def test_older_withdrawn_signature_does_not_void_a_later_valid_one():
    first = signed(at=T0 + timedelta(days=1), withdrawn_at=T0 + timedelta(days=2))
    second = signed(at=T0 + timedelta(days=10))
    assert status([first, second], {Route.INTRANASAL: [V1]}).signature == second


@pytest.mark.parametrize(
    ("signatures", "versions", "code"),
    [
        ([], {Route.INTRANASAL: [V1]}, "consent_missing"),
        (
            [signed(withdrawn_at=T0 + timedelta(days=2))],
            {Route.INTRANASAL: [V1]},
            "consent_withdrawn",
        ),
        (
            [signed()],
            {Route.INTRANASAL: [V1, version(2, effective_at=T0 + timedelta(days=5))]},
            "consent_superseded",
        ),
    ],
    ids=["missing", "withdrawn", "superseded"],
)
def test_consent_gate_blocks_with_a_non_overridable_blocker(signatures, versions, code):
    gate = consent_gate(signatures, versions, Route.INTRANASAL, AS_OF)
    assert gate.codes == (code,)
    assert gate.blockers[0].overridable is False
    with pytest.raises(GateBlocked) as excinfo:
        gate.enforce(Override("Patient verbally agreed.", frozenset({code})))
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda: version(0), "consent_version_number_invalid"),
        (lambda: version(1, effective_at=datetime(2025, 1, 1)), "datetime_not_timezone_aware"),
        (lambda: ConsentDocumentVersion(" ", Route.IV, 1, T0, True), "consent_document_id_missing"),
        (lambda: ConsentDocumentVersion("d", "iv", 1, T0, True), "consent_route_invalid"),
        (
            lambda: ConsentDocumentVersion("d", Route.IV, 1, T0, None),
            "consent_material_change_invalid",
        ),
        (lambda: signed(withdrawn_at=T0), "consent_withdrawn_before_signed"),
        (lambda: ConsentSignature("v1", T0), "consent_signature_invalid"),
    ],
)
def test_malformed_consent_records_are_invalid_input(build, code):
    with pytest.raises(InvalidClinicalInput) as excinfo:
        build()
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("signatures", "versions", "route", "as_of", "code"),
    [
        (
            [signed()],
            {Route.INTRANASAL: [V1]},
            Route.INTRANASAL,
            datetime(2025, 6, 1),
            "datetime_not_timezone_aware",
        ),
        ([signed()], {Route.INTRANASAL: [V1]}, "intranasal", AS_OF, "consent_route_invalid"),
        ([signed()], {Route.INTRANASAL: []}, Route.INTRANASAL, AS_OF, "consent_version_unknown"),
        (
            [signed()],
            {Route.INTRANASAL: [V1, V1]},
            Route.INTRANASAL,
            AS_OF,
            "consent_version_duplicated",
        ),
        (
            [signed()],
            {Route.INTRANASAL: [V1_IV]},
            Route.INTRANASAL,
            AS_OF,
            "consent_versions_invalid",
        ),
        (
            [signed()],
            {Route.INTRANASAL: [version(2, effective_at=T0 - timedelta(days=1)), V1]},
            Route.INTRANASAL,
            AS_OF,
            "consent_versions_out_of_order",
        ),
        (
            ["signed"],
            {Route.INTRANASAL: [V1]},
            Route.INTRANASAL,
            AS_OF,
            "consent_signature_invalid",
        ),
    ],
)
def test_inconsistent_consent_inputs_are_invalid(signatures, versions, route, as_of, code):
    with pytest.raises(InvalidClinicalInput) as excinfo:
        has_valid_consent(signatures, versions, route, as_of)
    assert excinfo.value.code == code
