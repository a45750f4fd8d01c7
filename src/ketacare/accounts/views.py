"""Sign-in's second step and the user's own account page.

The password step is ``web.views.SignInView``; these pages finish it (enter a code, or enrol
an authenticator on first sign-in), confirm a step-up before a sensitive action, and show
the signed-in user their second factor and API tokens."""

from __future__ import annotations

import json

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ketacare.accounts import passkeys as pk
from ketacare.accounts import second_factor as sf
from ketacare.accounts.lockout import is_locked_out, locked_out_response
from ketacare.accounts.middleware import ENROL, VERIFY, mark_session_verified, session_state
from ketacare.accounts.permissions import SIGNED_IN, Permission
from ketacare.accounts.qr import qr_svg
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.web.pages import requires, staff_page


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _finish(request: HttpRequest) -> HttpResponse:
    # A new session key once fully signed in (no fixation across the second step).
    request.session.cycle_key()
    mark_session_verified(request.session, timezone.now())
    return redirect(_next(request))


NO_ANSWER = "This browser gave no passkey answer: passkeys need JavaScript and WebAuthn."


def _sign_in_options(request: HttpRequest, user) -> dict | None:
    """The passkey options of a sign-in or step-up page (a new single-use challenge)."""
    options = pk.authentication_options(user=user, session=request.session)
    return None if options is None else json.loads(options)


def _check_passkey(request: HttpRequest, user, purpose: str) -> pk.PasskeyCheck:
    answer = request.POST.get("credential", "")
    if not answer.strip():  # no attempt was made (no script, no WebAuthn): nothing to count
        return pk.PasskeyCheck(False, "passkey_no_answer", NO_ANSWER)
    return pk.verify_passkey(
        user=user, session=request.session, credential=answer,
        origins=pk.expected_origins(request), request=request, purpose=purpose,
    )  # fmt: skip


def _verify_posted(request: HttpRequest, user, purpose: str) -> tuple[bool, str]:
    """A posted passkey answer or code for the second step or a step-up: (passed, error)."""
    if "credential" in request.POST:
        result = _check_passkey(request, user, purpose)
        return result.ok, result.message
    if sf.verify_second_factor(
        user=user, code=request.POST.get("code", ""), request=request, purpose=purpose
    ):
        return True, ""
    return False, ""


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: a passkey, a code from the authenticator app, or a recovery
    code."""
    if session_state(request) != VERIFY or not request.user.is_authenticated:
        return redirect("web:login")
    user = request.user
    error = ""
    if request.method == "POST":
        if is_locked_out(request, user.get_username()):
            logout(request)
            return locked_out_response(request)
        passed, error = _verify_posted(request, user, "sign-in")
        if passed:
            return _finish(request)
        if is_locked_out(request, user.get_username()):
            logout(request)
            return locked_out_response(request)
        error = error or (
            "That code is not right, or was already used. Enter the code your app shows now."
        )
    return render(
        request,
        "accounts/second_factor.html",
        {"error": error, "next": _next(request), "has_totp": sf.has_totp(user),
         "passkey_options": _sign_in_options(request, user)},
        status=401 if error else 200,
    )  # fmt: skip


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of a role that must use a second factor (or a user choosing one):
    scan the key into an authenticator app, confirm with a code, keep the recovery codes."""
    state = session_state(request)
    if not request.user.is_authenticated or state == VERIFY:
        return redirect("web:login")
    user = request.user
    device = sf.start_totp_enrolment(user=user)
    error = passkey_error = ""
    if request.method == "POST" and request.POST.get("action") == "add_passkey":
        try:
            _passkey, codes = _register_posted_passkey(request, user)
        except (InvalidClinicalInput, sf.SecondFactorRequired) as exc:
            passkey_error = exc.message
        else:
            request.session.cycle_key()
            mark_session_verified(request.session, timezone.now())
            if not codes:
                return redirect(_next(request))
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next(request), "first": state == ENROL},
            )
    elif request.method == "POST":
        try:
            codes = sf.confirm_totp_enrolment(user=user, code=request.POST.get("code", ""))
        except (InvalidClinicalInput, sf.SecondFactorRequired) as exc:
            error = exc.message
        else:
            request.session.cycle_key()
            mark_session_verified(request.session, timezone.now())
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next(request), "first": state == ENROL},
            )
    return render(
        request,
        "accounts/enrol.html",
        {
            "error": error,
            "next": _next(request),
            "secret": sf.base32_secret(device),
            "qr": qr_svg(device.config_url),
            "required": state == ENROL,
            "passkey_error": passkey_error,
            "passkey_options": _registration_options(request, user),
        },
        status=422 if error or passkey_error else 200,
    )


def _registration_options(request: HttpRequest, user) -> dict | None:
    """Options for adding a passkey (a new single-use challenge); None while a step-up is
    owed first (the page says so)."""
    try:
        return json.loads(pk.registration_options(user=user, session=request.session))
    except sf.SecondFactorRequired:
        return None


def _register_posted_passkey(request: HttpRequest, user):
    answer = request.POST.get("credential", "")
    if not answer.strip():
        raise InvalidClinicalInput("passkey_no_answer", NO_ANSWER)
    return pk.register_passkey(
        user=user, session=request.session, credential=answer,
        name=request.POST.get("name", ""), origins=pk.expected_origins(request),
    )  # fmt: skip


@never_cache
@login_required
@requires(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Step-up: confirm with a fresh code before an override, a waste witness or a count
    sign-off when the last check is older than the clinic allows; then go back."""
    user = request.user
    error = ""
    if request.method == "POST":
        if is_locked_out(request, user.get_username()):
            logout(request)
            return locked_out_response(request)
        passed, error = _verify_posted(request, user, "step-up")
        if passed:
            mark_session_verified(request.session, timezone.now())
            return redirect(_next(request))
        if is_locked_out(request, user.get_username()):
            logout(request)
            return locked_out_response(request)
        error = error or "That code is not right, or was already used."
    return render(
        request,
        "accounts/confirm.html",
        {
            "error": error,
            "next": _next(request),
            "minutes": sf.clinic_security(user.clinic_id).step_up_minutes,
            "has_totp": sf.has_totp(user),
            "passkey_options": _sign_in_options(request, user),
        },
        status=401 if error else 200,
    )


@never_cache
@login_required
@requires(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own page: second factor, recovery codes, API tokens."""
    user = request.user
    codes = None
    error = ""
    if request.method == "POST" and request.POST.get("action") == "renew_codes":
        try:
            codes = sf.renew_recovery_codes(actor=user)
        except sf.SecondFactorRequired as exc:
            error = exc.message
    from ketacare.accounts.selectors import list_own_passkeys, list_own_tokens

    return render(
        request,
        "accounts/account.html",
        {
            "has_second_factor": sf.has_second_factor(user),
            "has_totp": sf.has_totp(user),
            "passkey_count": len(list_own_passkeys(user)),
            "recovery_left": sf.remaining_recovery_codes(user),
            "codes": codes,
            "error": error,
            "tokens": list_own_tokens(user),
            "required": user.role in sf.clinic_security(user.clinic_id).second_factor_roles,
        },
    )


@never_cache
@login_required
@requires(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def passkeys(request: HttpRequest) -> HttpResponse:
    """The signed-in user's passkeys and security keys: add one (a step-up first when the
    account already has a second factor), see each one's counter and last use, remove one
    (after a step-up; never the last while the clinic requires a second factor)."""
    from ketacare.access import NotFound
    from ketacare.accounts.selectors import list_own_passkeys

    user = request.user
    notice = error = ""
    codes = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_passkey":
                passkey, codes = _register_posted_passkey(request, user)
                mark_session_verified(request.session, timezone.now())  # it was just used
                notice = f"Passkey “{passkey.name}” added."
            elif action == "remove_passkey":
                try:
                    passkey_id = int(request.POST.get("passkey_id") or 0)
                except ValueError:
                    passkey_id = 0
                pk.remove_passkey(actor=user, passkey_id=passkey_id)
                notice = "Passkey removed."
        except (InvalidClinicalInput, sf.SecondFactorRequired) as exc:
            error, status = exc.message, 422
        except NotFound:
            error, status = "No such passkey.", 404
    return render(
        request,
        "accounts/passkeys.html",
        {
            "passkeys": list_own_passkeys(user),
            "notice": notice,
            "error": error,
            "codes": codes,
            "passkey_options": _registration_options(request, user),
            "required": user.role in sf.clinic_security(user.clinic_id).second_factor_roles,
        },
        status=status,
    )


@login_required
@requires(SIGNED_IN)
@require_http_methods(["POST"])
def revoke_own_token(request: HttpRequest, token_id: int) -> HttpResponse:
    from ketacare.access import NotFound
    from ketacare.accounts.services import revoke_token

    try:
        revoke_token(actor=request.user, token_id=token_id)
    except NotFound:
        return render(
            request, "web/error.html", {"code": "not_found", "message": "No such token."},
            status=404,
        )  # fmt: skip
    return redirect("accounts:account")


@never_cache
@login_required
@staff_page
@requires(Permission.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def users(request: HttpRequest) -> HttpResponse:
    """Clinic admin: the clinic's logins; reset a lost second factor, revoke tokens,
    deactivate. Each with a reason where it changes someone's access, all audited."""
    from ketacare.accounts import selectors, services

    actor = request.user
    notice = error = ""
    if request.method == "POST":
        target = selectors.access_clinic_user(actor, int(request.POST.get("user_id") or 0))
        action, reason = request.POST.get("action"), request.POST.get("reason", "")
        try:
            if action == "reset_second_factor":
                sf.reset_second_factor(actor=actor, user=target, reason=reason)
                notice = f"Second factor of {target.username} reset; they enrol at next sign-in."
            elif action == "revoke_tokens":
                count = services.revoke_user_tokens(actor=actor, user=target)
                notice = f"{count} token(s) of {target.username} revoked."
            elif action == "deactivate":
                services.withdraw_user_access(actor=actor, user=target, reason=reason)
                notice = f"{target.username} deactivated; their tokens are revoked."
        except InvalidClinicalInput as exc:
            error = exc.message
        except sf.SecondFactorRequired as exc:
            error = exc.message
    return render(
        request,
        "accounts/users.html",
        {"users": selectors.list_clinic_users(actor), "notice": notice, "error": error},
    )
