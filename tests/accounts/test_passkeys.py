"""Passkeys (WebAuthn) as a second factor: enrolment and the sign-in check, with real
answers verified by the ``webauthn`` library (from a software authenticator, and the
library's own recorded Chrome answers), and every refusal audited with nothing changed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.support.soft_authenticator import SoftAuthenticator, b64url, unb64url

from ketacare.access import NotFound
from ketacare.accounts import passkeys as pk
from ketacare.accounts import second_factor as sf
from ketacare.accounts.models import Passkey, SecurityPolicy
from ketacare.audit.models import AuditEntry
from ketacare.clinical.errors import InvalidClinicalInput

ORIGIN = "http://localhost:8000"


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = []
    settings.WEBAUTHN_CHALLENGE_SECONDS = 300


@pytest.fixture
def new_nurse(clinic_a, make_login):
    """A nurse at her first sign-in: no second factor yet (the clinic requires one)."""
    return make_login(clinic_a, "nurse", "nurse_new", second_factor=False)


def enrol(user, key: SoftAuthenticator, session: dict | None = None, name: str = "Blue key"):
    session = {} if session is None else session
    options = pk.registration_options(user=user, session=session)
    return pk.register_passkey(
        user=user, session=session, credential=key.create(options), name=name, origins=[ORIGIN]
    )


def check(user, key: SoftAuthenticator, session: dict | None = None, **answer):
    session = {} if session is None else session
    options = pk.authentication_options(user=user, session=session)
    return pk.verify_passkey(
        user=user,
        session=session,
        credential=key.get(options, **answer),
        origins=[ORIGIN],
        request=None,
    )


def actions(user) -> list[str]:
    entries = AuditEntry.objects.filter(actor=user).order_by("id")
    return list(entries.values_list("action", flat=True))


# --- enrolment ---------------------------------------------------------------------------


def test_a_nurse_enrols_a_security_key_as_her_first_second_factor(new_nurse):
    assert sf.second_factor_state(new_nurse) == sf.ENROL
    key = SoftAuthenticator()

    passkey, codes = enrol(new_nurse, key)

    assert passkey.name == "Blue key"
    assert passkey.credential_id == b64url(key.credential_id)
    assert passkey.sign_count == 0
    assert passkey.transports == ["usb"]
    assert len(codes) == sf.RECOVERY_CODE_COUNT  # a first factor comes with recovery codes
    assert sf.second_factor_state(new_nurse) == sf.VERIFY
    entry = AuditEntry.objects.get(action="mfa_enrolled", actor=new_nurse)
    assert entry.changes["after"]["method"] == "passkey"
    assert "public_key" not in json.dumps(entry.changes)


def test_the_registration_options_name_the_relying_party_and_exclude_her_keys(new_nurse):
    enrol(new_nurse, SoftAuthenticator())
    session: dict = {}
    options = json.loads(pk.registration_options(user=new_nurse, session=session))
    assert options["rp"] == {"id": "localhost", "name": "KetaCare"}
    assert options["user"]["name"] == "nurse_new"
    assert options["attestation"] == "none"
    assert [c["id"] for c in options["excludeCredentials"]] == [
        Passkey.objects.get(user=new_nurse).credential_id
    ]
    held = session[pk.CHALLENGE_KEY]
    assert held["ceremony"] == "register"
    assert held["challenge"] == options["challenge"]
    assert len(unb64url(options["challenge"])) >= 32


def test_a_second_passkey_keeps_the_recovery_codes_she_has(new_nurse):
    _first, codes = enrol(new_nurse, SoftAuthenticator())
    _second, more = enrol(new_nurse, SoftAuthenticator(), name="Laptop")
    assert more is None
    assert StaticToken.objects.filter(device__user=new_nurse).count() == len(codes)
    assert Passkey.objects.filter(user=new_nurse).count() == 2


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        (lambda answer: "not json {", "passkey_malformed"),
        (lambda answer: "[1, 2]", "passkey_malformed"),
        (lambda answer: "", "passkey_malformed"),
        (lambda answer: json.dumps({**json.loads(answer), "response": {}}), "passkey_refused"),
        (lambda answer: " " * (pk.MAX_CREDENTIAL_JSON + 1), "passkey_malformed"),
    ],
    ids=["not-json", "not-an-object", "empty", "no-attestation", "oversized"],
)
def test_a_malformed_registration_answer_enrols_nothing(new_nurse, spoil, code):
    session: dict = {}
    options = pk.registration_options(user=new_nurse, session=session)
    answer = spoil(SoftAuthenticator().create(options))
    with pytest.raises(InvalidClinicalInput) as err:
        pk.register_passkey(
            user=new_nurse, session=session, credential=answer, name="Key", origins=[ORIGIN]
        )
    assert err.value.code == code
    assert not Passkey.objects.filter(user=new_nurse).exists()
    assert not StaticToken.objects.filter(device__user=new_nurse).exists()
    assert actions(new_nurse)[-1] == "mfa_failed"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"origin": "https://phish.example"}, "passkey_refused"),
        ({"rp_id": "phish.example"}, "passkey_refused"),
    ],
    ids=["another-origin", "another-rp-id"],
)
def test_a_registration_for_another_site_is_refused(new_nurse, answer, code):
    session: dict = {}
    options = pk.registration_options(user=new_nurse, session=session)
    with pytest.raises(InvalidClinicalInput) as err:
        pk.register_passkey(
            user=new_nurse,
            session=session,
            name="Key",
            origins=[ORIGIN],
            credential=SoftAuthenticator().create(options, **answer),
        )
    assert err.value.code == code
    assert not Passkey.objects.exists()


def test_a_registration_challenge_is_single_use_and_expires(new_nurse):
    session: dict = {}
    options = pk.registration_options(user=new_nurse, session=session)
    answer = SoftAuthenticator().create(options)
    later = timezone.now() + timedelta(seconds=301)
    with time_machine.travel(later), pytest.raises(InvalidClinicalInput) as err:
        pk.register_passkey(
            user=new_nurse, session=session, credential=answer, name="Key", origins=[ORIGIN]
        )
    assert err.value.code == "passkey_challenge_expired"
    assert pk.CHALLENGE_KEY not in session  # gone even though it was refused
    with pytest.raises(InvalidClinicalInput) as again:
        pk.register_passkey(
            user=new_nurse, session=session, credential=answer, name="Key", origins=[ORIGIN]
        )
    assert again.value.code == "passkey_challenge_expired"
    assert not Passkey.objects.exists()


def test_a_sign_in_challenge_does_not_enrol_a_passkey(new_nurse, nurse):
    key = SoftAuthenticator()
    enrol(new_nurse, key)
    session: dict = {}
    sign_in_options = pk.authentication_options(user=new_nurse, session=session)
    forged = SoftAuthenticator().create(
        json.dumps(
            {"challenge": json.loads(sign_in_options)["challenge"], "rp": {"id": "localhost"}}
        )
    )
    with pytest.raises(InvalidClinicalInput) as err:
        pk.register_passkey(
            user=new_nurse, session=session, credential=forged, name="Other", origins=[ORIGIN]
        )
    assert err.value.code == "passkey_challenge_expired"
    assert Passkey.objects.filter(user=new_nurse).count() == 1


def test_the_same_key_cannot_be_registered_twice(new_nurse, clinic_a, make_login):
    key = SoftAuthenticator()
    enrol(new_nurse, key)
    other = make_login(clinic_a, "therapist", "ther_new", second_factor=False)
    with pytest.raises(InvalidClinicalInput) as err:
        enrol(other, key, name="Borrowed")
    assert err.value.code == "passkey_exists"
    assert not Passkey.objects.filter(user=other).exists()
    assert not StaticToken.objects.filter(device__user=other).exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_a_passkey_needs_a_name(new_nurse, name):
    with pytest.raises(InvalidClinicalInput) as err:
        enrol(new_nurse, SoftAuthenticator(), name=name)
    assert err.value.code == "invalid_passkey_name"
    assert not Passkey.objects.exists()


def test_adding_a_passkey_to_an_account_with_a_factor_needs_a_fresh_check(nurse):
    stale = sf.Freshness(user_id=nurse.pk, second_factor_at=timezone.now() - timedelta(minutes=16))
    token = sf.set_freshness(stale)
    try:
        with pytest.raises(sf.SecondFactorRequired):
            pk.registration_options(user=nurse, session={})
    finally:
        sf.reset_freshness(token)
    fresh = sf.set_freshness(sf.Freshness(user_id=nurse.pk, second_factor_at=timezone.now()))
    try:
        _passkey, codes = enrol(nurse, SoftAuthenticator())
    finally:
        sf.reset_freshness(fresh)
    assert codes is None or len(codes) == sf.RECOVERY_CODE_COUNT
    assert TOTPDevice.objects.filter(user=nurse, confirmed=True).exists()  # the app stays


# --- sign-in -------------------------------------------------------------------------------


def test_her_passkey_passes_the_second_step_and_its_counter_moves_on(new_nurse):
    key = SoftAuthenticator()
    enrol(new_nurse, key)
    before = timezone.now()

    result = check(new_nurse, key)

    assert result.ok
    passkey = Passkey.objects.get(user=new_nurse)
    assert passkey.sign_count == 1
    assert passkey.last_used_at >= before
    new_nurse.refresh_from_db()
    assert new_nurse.second_factor_at >= before
    entry = AuditEntry.objects.filter(action="mfa_verified", actor=new_nurse).get()
    assert entry.changes["after"] == {
        "purpose": "sign-in",
        "method": "passkey",
        "passkey": "Blue key",
    }
    assert check(new_nurse, key).ok
    assert Passkey.objects.get(user=new_nurse).sign_count == 2


def test_the_sign_in_options_name_only_her_passkeys(new_nurse, nurse):
    enrol(new_nurse, SoftAuthenticator())
    session: dict = {}
    options = json.loads(pk.authentication_options(user=new_nurse, session=session))
    assert options["rpId"] == "localhost"
    assert [c["id"] for c in options["allowCredentials"]] == [
        Passkey.objects.get(user=new_nurse).credential_id
    ]
    assert session[pk.CHALLENGE_KEY]["ceremony"] == "authenticate"
    assert pk.authentication_options(user=nurse, session={}) is None  # no passkey: no options


def _nothing_moved(user, count: int = 0) -> None:
    passkey = Passkey.objects.get(user=user)
    assert passkey.sign_count == count
    assert passkey.last_used_at is None
    user.refresh_from_db()


def test_a_replayed_answer_is_refused(new_nurse):
    key = SoftAuthenticator()
    enrol(new_nurse, key)
    session: dict = {}
    options = pk.authentication_options(user=new_nurse, session=session)
    answer = key.get(options)
    first = pk.verify_passkey(
        user=new_nurse, session=session, credential=answer, origins=[ORIGIN], request=None
    )
    assert first.ok
    # The same answer again: its challenge was used up.
    again = pk.verify_passkey(
        user=new_nurse, session=session, credential=answer, origins=[ORIGIN], request=None
    )
    assert again.code == "passkey_challenge_expired"
    # And against a new challenge it signs the wrong one.
    pk.authentication_options(user=new_nurse, session=session)
    stale = pk.verify_passkey(
        user=new_nurse, session=session, credential=answer, origins=[ORIGIN], request=None
    )
    assert stale.code == "passkey_refused"
    assert Passkey.objects.get(user=new_nurse).sign_count == 1
    assert actions(new_nurse)[-2:] == ["mfa_failed", "mfa_failed"]


def test_a_cloned_authenticator_is_refused_and_audited(new_nurse):
    key = SoftAuthenticator()
    enrol(new_nurse, key)
    clone = key.clone()
    assert check(new_nurse, key).ok  # the original moves the counter to 1
    result = check(new_nurse, clone)  # the clone signs with 1 again

    assert not result.ok
    assert result.code == "passkey_cloned"
    assert Passkey.objects.get(user=new_nurse).sign_count == 1
    entry = AuditEntry.objects.filter(action="mfa_failed", actor=new_nurse).latest("id")
    assert entry.changes["after"] | {} == {
        "purpose": "sign-in",
        "method": "passkey",
        "reason": "passkey_cloned",
        "passkey": "Blue key",
        "stored_sign_count": 1,
        "received_sign_count": 1,
    }


def test_another_users_passkey_does_not_pass_her_step(new_nurse, clinic_a, make_login):
    enrol(new_nurse, SoftAuthenticator())
    other = make_login(clinic_a, "therapist", "ther_new", second_factor=False)
    theirs = SoftAuthenticator()
    enrol(other, theirs, name="Theirs")
    result = check(new_nurse, theirs)
    assert result.code == "passkey_unknown"
    assert Passkey.objects.get(user=other).sign_count == 0
    assert actions(new_nurse)[-1] == "mfa_failed"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"origin": "https://phish.example"}, "passkey_refused"),
        ({"rp_id": "phish.example"}, "passkey_refused"),
    ],
    ids=["another-origin", "another-rp-id"],
)
def test_an_answer_made_for_another_site_is_refused(new_nurse, answer, code):
    key = SoftAuthenticator()
    enrol(new_nurse, key)
    assert check(new_nurse, key, **answer).code == code
    _nothing_moved(new_nurse)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda a: "{",
        lambda a: "null",
        lambda a: json.dumps({**json.loads(a), "rawId": "!!"}),
        lambda a: json.dumps({**json.loads(a), "response": {"signature": "AA"}}),
        lambda a: a.replace('"signature": "', '"signature": "AAAA'),
    ],
    ids=["truncated", "null", "bad-raw-id", "no-client-data", "bad-signature"],
)
def test_a_malformed_or_tampered_answer_is_refused(new_nurse, spoil):
    key = SoftAuthenticator()
    enrol(new_nurse, key)
    session: dict = {}
    options = pk.authentication_options(user=new_nurse, session=session)
    result = pk.verify_passkey(
        user=new_nurse,
        session=session,
        origins=[ORIGIN],
        credential=spoil(key.get(options)),
        request=None,
    )
    assert not result.ok
    assert result.code in {"passkey_malformed", "passkey_refused"}
    _nothing_moved(new_nurse)
    assert pk.CHALLENGE_KEY not in session


def test_a_sign_in_challenge_expires(new_nurse):
    key = SoftAuthenticator()
    enrol(new_nurse, key)
    session: dict = {}
    answer = key.get(pk.authentication_options(user=new_nurse, session=session))
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        result = pk.verify_passkey(
            user=new_nurse, session=session, credential=answer, origins=[ORIGIN], request=None
        )
    assert result.code == "passkey_challenge_expired"
    _nothing_moved(new_nurse)


# The library's own recorded Chrome answer (py_webauthn tests/test_verify_authentication_
# response.py, EC2 key): RP ID localhost, origin http://localhost:5000, counter 77 -> 78.
RECORDED = {
    "id": "EDx9FfAbp4obx6oll2oC4-CZuDidRVV4gZhxC529ytlnqHyqCStDUwfNdm1SNHAe3X5KvueWQdAX3x9R1a2b9Q",
    "response": {
        "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAATg",
        "clientDataJSON": (
            "eyJjaGFsbGVuZ2UiOiJ4aTMwR1BHQUZZUnhWRHBZMXNNMTBEYUx6VlFHNjZudi1fN1JVYXpIMHZJMll2"
            "RzhMWWdERW52TjVmWlpOVnV2RUR1TWk5dGUzVkxxYjQyTjBma0xHQSIsImNsaWVudEV4dGVuc2lvbnMi"
            "Ont9LCJoYXNoQWxnb3JpdGhtIjoiU0hBLTI1NiIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NTAw"
            "MCIsInR5cGUiOiJ3ZWJhdXRobi5nZXQifQ"
        ),
        "signature": (
            "MEUCIGisVZOBapCWbnJJvjelIzwpixxIwkjCCb5aCHafQu68AiEA88v-2pJNNApPFwAKFiNuf82-2hBx"
            "YW5kGwVweeoxCwo"
        ),
    },
    "type": "public-key",
    "clientExtensionResults": {},
}
RECORDED_CHALLENGE = (
    "xi30GPGAFYRxVDpY1sM10DaLzVQG66nv-_7RUazH0vI2YvG8LYgDEnvN5fZZNVuvEDuMi9te3VLqb42N0fkLGA"
)
RECORDED_KEY = (
    "pQECAyYgASFYIIeDTe-gN8A-zQclHoRnGFWN8ehM1b7yAsa8I8KIvmplIlgg4nFGT5px8o6gpPZZhO01wdy9crDSA_Ng"
    "tkx0vGpvPHI"
)


@pytest.mark.parametrize(
    ("stored", "code"), [(77, ""), (78, "passkey_cloned"), (90, "passkey_cloned")]
)
def test_a_recorded_chrome_answer_passes_once_its_counter_is_ahead(new_nurse, stored, code):
    Passkey.objects.create(
        user=new_nurse,
        name="Chrome",
        credential_id=RECORDED["id"],
        public_key=unb64url(RECORDED_KEY),
        sign_count=stored,
        created_at=timezone.now(),
    )
    session = {
        pk.CHALLENGE_KEY: {
            "ceremony": "authenticate",
            "user": new_nurse.pk,
            "challenge": RECORDED_CHALLENGE,
            "expires": timezone.now().timestamp() + 60,
        }
    }
    result = pk.verify_passkey(
        user=new_nurse,
        session=session,
        origins=["http://localhost:5000"],
        request=None,
        credential=json.dumps({**RECORDED, "rawId": RECORDED["id"]}),
    )
    assert result.code == code
    assert Passkey.objects.get(user=new_nurse).sign_count == (78 if not code else stored)


# --- removal and reset ------------------------------------------------------------------


def test_she_removes_one_of_two_passkeys_and_it_is_audited(new_nurse):
    enrol(new_nurse, SoftAuthenticator())
    second, _ = enrol(new_nurse, SoftAuthenticator(), name="Laptop")
    pk.remove_passkey(actor=new_nurse, passkey_id=second.pk)
    assert list(Passkey.objects.filter(user=new_nurse).values_list("name", flat=True)) == [
        "Blue key"
    ]
    entry = AuditEntry.objects.filter(action="mfa_removed", actor=new_nurse).get()
    assert entry.changes["after"]["passkey"] == "Laptop"


def test_her_last_factor_stays_while_the_clinic_requires_one(new_nurse):
    only, _ = enrol(new_nurse, SoftAuthenticator())
    with pytest.raises(InvalidClinicalInput) as err:
        pk.remove_passkey(actor=new_nurse, passkey_id=only.pk)
    assert err.value.code == "last_second_factor"
    assert Passkey.objects.filter(pk=only.pk).exists()
    assert not AuditEntry.objects.filter(action="mfa_removed").exists()


def test_a_role_the_policy_does_not_cover_may_remove_its_last_passkey(clinic_a, make_login):
    therapist = make_login(clinic_a, "therapist", "ther_new", second_factor=False)
    only, _ = enrol(therapist, SoftAuthenticator())
    assert "therapist" not in sf.clinic_security(clinic_a.pk).second_factor_roles
    pk.remove_passkey(actor=therapist, passkey_id=only.pk)
    assert sf.second_factor_state(therapist) == sf.NONE
    assert not StaticToken.objects.filter(device__user=therapist).exists()  # codes went too


def test_a_nurse_with_the_app_may_remove_her_passkey(nurse):
    passkey, _ = enrol(nurse, SoftAuthenticator())
    pk.remove_passkey(actor=nurse, passkey_id=passkey.pk)
    assert sf.second_factor_state(nurse) == sf.VERIFY  # the app is still there


def test_removing_needs_a_fresh_check_and_never_reaches_anothers_passkey(new_nurse, nurse):
    passkey, _ = enrol(new_nurse, SoftAuthenticator())
    enrol(new_nurse, SoftAuthenticator(), name="Laptop")
    with pytest.raises(NotFound):
        pk.remove_passkey(actor=nurse, passkey_id=passkey.pk)
    stale = sf.set_freshness(sf.Freshness(user_id=new_nurse.pk, second_factor_at=None))
    try:
        with pytest.raises(sf.SecondFactorRequired):
            pk.remove_passkey(actor=new_nurse, passkey_id=passkey.pk)
    finally:
        sf.reset_freshness(stale)
    assert Passkey.objects.filter(user=new_nurse).count() == 2


def test_an_admin_reset_removes_her_passkeys_and_she_enrols_again(new_nurse, clinic_admin):
    enrol(new_nurse, SoftAuthenticator())
    enrol(new_nurse, SoftAuthenticator(), name="Laptop")
    sf.reset_second_factor(actor=clinic_admin, user=new_nurse, reason="Keys lost with bag")
    assert not Passkey.objects.filter(user=new_nurse).exists()
    assert sf.second_factor_state(new_nurse) == sf.ENROL
    entry = AuditEntry.objects.get(action="mfa_reset", actor=clinic_admin)
    assert entry.changes["after"]["devices_removed"] == 3  # two passkeys and recovery codes


def test_the_admins_user_list_counts_passkeys_beside_the_app(new_nurse, nurse, clinic_admin):
    from ketacare.accounts.selectors import list_clinic_users

    enrol(new_nurse, SoftAuthenticator())
    enrol(new_nurse, SoftAuthenticator(), name="Laptop")
    rows = {u.username: u for u in list_clinic_users(clinic_admin)}
    assert (rows["nurse_new"].has_totp, rows["nurse_new"].passkey_count) == (False, 2)
    assert (rows[nurse.username].has_totp, rows[nurse.username].passkey_count) == (True, 0)


def test_a_policy_without_the_role_still_asks_for_an_enrolled_passkey(clinic_a, new_nurse):
    enrol(new_nurse, SoftAuthenticator())
    SecurityPolicy.objects.create(
        clinic=clinic_a, second_factor_roles=["prescriber"], updated_at=timezone.now()
    )
    assert sf.second_factor_state(new_nurse) == sf.VERIFY
