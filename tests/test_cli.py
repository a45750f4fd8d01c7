"""The `ketacare` command on bad input: each command, run as a real process, answers with
one clear line on stderr and exit status 2 (1 when the database itself cannot be used),
never a traceback; and `invite-patient` gives a registered patient a working portal login."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ketacare.cli import STAFF_ROLES, build_parser, main


def run(
    *args: str, env: dict[str, str] | None = None, data_dir: Path
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "KETACARE_DATA_DIR": str(data_dir), **(env or {})}
    full_env.pop("KETACARE_DATABASE_URL", None)
    full_env.pop("KETACARE_NEW_USER_PASSWORD", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ketacare.cli", *args],
        env=full_env,
        stdin=subprocess.DEVNULL,  # stdin closed: nobody at a terminal to answer a prompt
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def migrated_dir(tmp_path_factory) -> Path:
    """A migrated, empty SQLite registry for the commands that need one."""
    path = tmp_path_factory.mktemp("cli-registry")
    result = run("migrate", data_dir=path)
    assert result.returncode == 0, result.stderr
    return path


def assert_one_clear_line(result, status: int, fragment: str) -> None:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ketacare"), lines[0]
    assert fragment in lines[0]
    assert result.returncode == status


# Bad arguments: refused before anything touches a database.
BAD_ARGUMENTS = [
    (["seed", "--patients", "-5"], "'-5' is not a whole number"),
    (["seed", "--patients", "0"], "outside 1..1000000"),
    (["seed", "--patients", "٨٠"], "is not a whole number"),  # Eastern Arabic digits
    (["seed", "--patients", "1_000"], "is not a whole number"),
    (["seed", "--patients", "20000000"], "outside 1..1000000"),
    (["seed"], "the following arguments are required: --patients"),
    (["demo", "--port", "0"], "outside 1..65535"),
    (["demo", "--port", "http"], "is not a whole number"),
    (["serve", "--port", "70000"], "outside 1..65535"),
    (["serve", "--workers", "-1"], "is not a whole number"),
    (
        ["createuser", "--role", "nurse", "--username", "n", "--license-expiry", "2020-13-45"],
        "'2020-13-45' is not a real date",
    ),
    (
        ["createuser", "--role", "nurse", "--username", "n", "--license-expiry", "1/2/2020"],
        "is not a date written YYYY-MM-DD",
    ),
    (["createuser", "--role", "surgeon", "--username", "n"], "invalid choice: 'surgeon'"),
    (["createuser", "--role", "nurse"], "required: --username"),
    (["createuser", "--role", "prescriber", "--username", "p"], "needs --license-number"),
    (["createuser", "--role", "nurse", "--username", "n"], "no password given"),
    (["invite-patient"], "required: --patient"),
    (["invite-patient", "--patient", "abc"], "is not a whole number"),
    (["invite-patient", "--patient", "1", "--base-url", "clinic.example"], "not an http(s)://"),
    (["audit"], "required: audit_command"),
    (["audit", "rewind"], "invalid choice: 'rewind'"),
    (["audit", "check"], "required: proof, --public-key"),
    (["nosuchcommand"], "invalid choice: 'nosuchcommand'"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD_ARGUMENTS, ids=lambda v: " ".join(v))
def test_bad_argument_is_one_line_on_stderr_and_exit_2(args, fragment, tmp_path):
    result = run(*args, data_dir=tmp_path)
    assert_one_clear_line(result, 2, fragment)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["migrate"], {"KETACARE_DEBUG": "maybe"}, "KETACARE_DEBUG must be true or false"),
        (["audit", "verify"], {"KETACARE_DATABASE_URL": "garbage"}, "is not a database URL"),
        (["audit", "verify"], {"KETACARE_DATABASE_URL": "mysql://a@b/c"}, "postgresql://"),
        (
            ["serve"],
            {"KETACARE_SESSION_MINUTES": "thirty"},
            "KETACARE_SESSION_MINUTES must be a whole number",
        ),
    ],
)
def test_unusable_setting_is_one_line_and_exit_2(args, env, fragment, tmp_path):
    assert_one_clear_line(run(*args, env=env, data_dir=tmp_path), 2, fragment)


def test_missing_input_in_the_registry_is_one_line_and_exit_2(migrated_dir):
    assert_one_clear_line(
        run("invite-patient", "--patient", "999", data_dir=migrated_dir),
        2,
        "no patient with id 999",
    )
    env = {"KETACARE_NEW_USER_PASSWORD": "a long enough password"}
    assert_one_clear_line(
        run(
            "createuser",
            "--role",
            "nurse",
            "--username",
            "n",
            "--clinic",
            "42",
            env=env,
            data_dir=migrated_dir,
        ),
        2,
        "no clinic with id 42",
    )
    assert_one_clear_line(
        run("manage", "nosuch", data_dir=migrated_dir), 2, "no management command 'nosuch'"
    )


def test_unmigrated_database_is_one_line_naming_the_fix(tmp_path):
    result = run("audit", "verify", data_dir=tmp_path)
    assert_one_clear_line(result, 1, "run `ketacare migrate` first")


def test_unreachable_database_is_one_line(tmp_path):
    env = {"KETACARE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"}
    assert_one_clear_line(
        run("audit", "verify", env=env, data_dir=tmp_path), 1, "cannot use the database"
    )


def test_createuser_help_lists_every_staff_role():
    help_text = build_parser()._subparsers._group_actions[0].choices["createuser"].format_help()
    for role, description in STAFF_ROLES.items():
        assert re.search(rf"^\s+{role}\s+{re.escape(description)}", help_text, re.M), role
    assert "invite-patient" in help_text


def test_createuser_makes_the_login_and_refuses_a_taken_username(migrated_dir):
    env = {"KETACARE_NEW_USER_PASSWORD": "a long enough password"}
    made = run(
        "createuser", "--role", "therapist", "--username", "tara", env=env, data_dir=migrated_dir
    )
    assert made.returncode == 0, made.stderr
    assert "created tara (therapist)" in made.stdout
    again = run(
        "createuser", "--role", "therapist", "--username", "tara", env=env, data_dir=migrated_dir
    )
    assert_one_clear_line(again, 2, "The username 'tara' is taken.")


# invite-patient, in this process (so the test's database is the command's).


@pytest.fixture
def invite(patient, capsys, settings):
    settings.PUBLIC_URL = "https://clinic.example.org"

    def call(*extra: str) -> tuple[int, str, str]:
        status = main(["invite-patient", "--patient", str(patient.pk), *extra])
        out, err = capsys.readouterr()
        return status, out, err

    return call


def signs_in(username: str, password: str) -> bool:
    from django.test import Client

    browser = Client()
    browser.post("/login/", {"username": username, "password": password})
    return browser.get("/portal/").status_code == 200


def _link(out: str) -> str:
    match = re.search(r"https://clinic\.example\.org(/portal/activate/\S+/)", out)
    assert match, out
    return match.group(1)


def test_invite_patient_creates_a_login_that_cannot_sign_in_until_activated(invite, patient):
    from ketacare.accounts.models import User
    from ketacare.audit.models import AuditEntry

    status, out, err = invite("--username", "avery")
    assert (status, err) == (0, "")
    assert "works once" in out
    user = User.objects.get(patient=patient)
    assert (user.username, user.role, user.clinic_id) == ("avery", "patient", patient.clinic_id)
    assert not user.has_usable_password()
    assert not signs_in("avery", "")
    assert AuditEntry.objects.filter(summary__contains="activation link issued").count() == 1


def test_patient_activates_the_login_once_and_then_signs_in(invite, patient):
    from django.test import Client

    from ketacare.audit.models import AuditEntry

    _, out, _ = invite("--username", "avery")
    link = _link(out)
    page = Client().get(link)
    assert page.status_code == 200
    assert b"avery" in page.content
    done = Client().post(
        link, {"password1": "a calm river at dawn", "password2": "a calm river at dawn"}
    )
    assert done.status_code == 200
    assert b"Your portal login is ready" in done.content
    assert AuditEntry.objects.filter(summary__contains="portal login activated").count() == 1
    assert signs_in("avery", "a calm river at dawn")
    # The same link a second time: gone.
    assert Client().get(link).status_code == 410
    reused = Client().post(
        link, {"password1": "someone else's pass", "password2": "someone else's pass"}
    )
    assert reused.status_code == 410
    assert not signs_in("avery", "someone else's pass")
    assert signs_in("avery", "a calm river at dawn")


def test_activation_refuses_a_weak_or_mistyped_password_and_sets_nothing(invite, patient):
    from django.test import Client

    from ketacare.accounts.models import User

    _, out, _ = invite("--username", "avery")
    link = _link(out)
    weak = Client().post(link, {"password1": "short", "password2": "short"})
    assert weak.status_code == 200
    assert b"too short" in weak.content
    mistyped = Client().post(
        link, {"password1": "a calm river at dawn", "password2": "a calm river"}
    )
    assert b"The two passwords differ." in mistyped.content
    assert not User.objects.get(patient=patient).has_usable_password()
    assert Client().get(link).status_code == 200  # still usable


def test_a_new_invitation_replaces_the_earlier_link(invite):
    from django.test import Client

    _, first, _ = invite("--username", "avery")
    _, second, _ = invite()
    assert Client().get(_link(first)).status_code == 410
    assert Client().get(_link(second)).status_code == 200


def test_invite_refuses_a_patient_whose_login_is_already_active(invite, patient, capsys):
    from django.test import Client

    _, out, _ = invite("--username", "avery")
    Client().post(
        _link(out), {"password1": "a calm river at dawn", "password2": "a calm river at dawn"}
    )
    status, out, err = invite()
    assert status == 2
    assert out == ""
    assert err.strip() == (
        "ketacare invite-patient: error: "
        "This patient already has an activated portal login (avery)."
    )


@pytest.mark.parametrize("link", ["/portal/activate/MQ/not-a-token/", "/portal/activate/@@/x/"])
def test_forged_activation_link_is_gone(client, patient_user, link):
    response = client.get(link)
    assert response.status_code == 410
    assert b"activation_link_invalid" in response.content
