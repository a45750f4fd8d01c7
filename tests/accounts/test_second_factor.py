"""The second factor's one-time codes are RFC 6238's, as an authenticator app computes them.

RFC 6238 Appendix B lists TOTP values for the ASCII key "12345678901234567890" (SHA-1),
X = 30 s, T0 = 0, 8 digits. A 6-digit code is the same value modulo 10^6 (RFC 4226 section
5.3: the truncated value modulo 10^Digit), i.e. its last six digits."""

from base64 import b32encode
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import second_factor as sf
from ketacare.audit.models import AuditEntry

RFC6238_KEY = b"12345678901234567890"
# (Unix time, 8-digit TOTP) from RFC 6238 Appendix B, SHA-1 rows.
RFC6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix_time", "expected"), RFC6238_SHA1)
def test_the_library_computes_rfc6238_test_vectors(unix_time, expected):
    with time_machine.travel(datetime.fromtimestamp(unix_time, UTC), tick=False):
        assert f"{totp(RFC6238_KEY, step=30, t0=0, digits=8):08d}" == expected


@pytest.fixture
def rfc_device(nurse):
    """The nurse's authenticator holds the RFC's key (typed in as base32, as a person would)."""
    return sf.provision_totp_device(user=nurse, base32_key=b32encode(RFC6238_KEY).decode())


@pytest.mark.parametrize(("unix_time", "expected"), RFC6238_SHA1)
def test_an_enrolled_key_accepts_the_rfc_code_at_its_time_in_six_digits(
    nurse, rfc_device, unix_time, expected
):
    with time_machine.travel(datetime.fromtimestamp(unix_time, UTC), tick=False):
        assert sf.authenticator_code(rfc_device) == expected[-6:]
        assert sf.verify_second_factor(user=nurse, code=expected[-6:], request=None)


def test_a_code_from_two_steps_away_is_refused(nurse, rfc_device):
    # 59 s is step 1; the code at 1111111109 s is from a different step altogether, and the
    # code of step 3 (t=90..119 s) is two steps from step 1.
    with time_machine.travel(datetime.fromtimestamp(90, UTC), tick=False):
        two_ahead = sf.authenticator_code(TOTPDevice.objects.get(pk=rfc_device.pk))
    with time_machine.travel(datetime.fromtimestamp(59 - 30, UTC), tick=False):
        assert not sf.verify_second_factor(user=nurse, code=two_ahead, request=None)
    assert AuditEntry.objects.filter(action="mfa_failed", actor=nurse).count() == 1


def test_the_key_is_offered_to_apps_as_sha1_six_digits_thirty_seconds(nurse):
    device = sf.start_totp_enrolment(user=nurse)
    url = urlparse(device.config_url)
    params = parse_qs(url.query)
    assert url.scheme == "otpauth"
    assert url.netloc == "totp"
    assert params["algorithm"] == ["SHA1"]
    assert params["digits"] == ["6"]
    assert params["period"] == ["30"]
    assert params["issuer"] == ["KetaCare"]
    assert params["secret"][0] == sf.base32_secret(device).replace(" ", "")


@pytest.mark.parametrize("key", ["not base32!", "MFRGGZDF"])  # not base32; only 40 bits
def test_a_malformed_or_short_provisioned_key_is_refused(nurse, key):
    from ketacare.clinical.errors import InvalidClinicalInput

    before = TOTPDevice.objects.filter(user=nurse).count()
    with pytest.raises(InvalidClinicalInput) as err:
        sf.provision_totp_device(user=nurse, base32_key=key)
    assert err.value.code == "invalid_totp_secret"
    assert TOTPDevice.objects.filter(user=nurse).count() == before


def test_a_recovery_code_works_once(nurse):
    codes = sf._new_recovery_codes(nurse)
    assert sf.verify_second_factor(user=nurse, code=codes[0].upper(), request=None)
    assert not sf.verify_second_factor(user=nurse, code=codes[0], request=None)
    assert sf.remaining_recovery_codes(nurse) == len(codes) - 1
    verified = AuditEntry.objects.get(action="mfa_verified", actor=nurse)
    assert verified.changes["after"]["method"] == "recovery_code"


@pytest.mark.parametrize(
    ("role", "state"),
    [("prescriber", sf.ENROL), ("nurse", sf.ENROL), ("admin", sf.ENROL),
     ("therapist", sf.NONE), ("frontdesk", sf.NONE), ("researcher", sf.NONE)],
)  # fmt: skip
def test_default_policy_requires_a_second_factor_for_prescriber_nurse_and_admin(
    clinic_a, role, state, make_login
):
    user = make_login(clinic_a, role, f"new_{role}", second_factor=False)
    assert sf.second_factor_state(user) == state


def test_clinic_policy_can_require_it_of_therapists_too(clinic_a, clinic_admin, make_login):
    therapist = make_login(clinic_a, "therapist", "new_therapist", second_factor=False)
    sf.record_security_policy(
        actor=clinic_admin,
        second_factor_roles=["prescriber", "nurse", "admin", "therapist"],
        step_up_minutes=10,
    )
    assert sf.second_factor_state(therapist) == sf.ENROL
    assert sf.clinic_security(clinic_a.pk).step_up_minutes == 10
    assert AuditEntry.objects.filter(target_type="accounts.SecurityPolicy").exists()


@pytest.mark.parametrize("minutes", [0, 721])
def test_step_up_limit_outside_1_to_720_minutes_is_refused(clinic_admin, minutes):
    from ketacare.accounts.models import SecurityPolicy
    from ketacare.clinical.errors import InvalidClinicalInput

    with pytest.raises(InvalidClinicalInput):
        sf.record_security_policy(
            actor=clinic_admin, second_factor_roles=["prescriber"], step_up_minutes=minutes
        )
    assert not SecurityPolicy.objects.exists()


def test_only_a_clinic_admin_sets_the_security_policy(nurse):
    from ketacare.accounts.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        sf.record_security_policy(actor=nurse, second_factor_roles=[], step_up_minutes=15)
