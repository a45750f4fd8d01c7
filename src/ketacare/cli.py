"""The `ketacare` command: demo, serve, migrate, createuser, invite-patient, seed, audit (seal,
verify, prove, consistency, check), manage.

A bad argument, a missing input or a setting the program cannot use is one line on stderr
and exit status 2; never a traceback (set KETACARE_DEBUG=true to see one for an unexpected
error, which exits 1).
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from datetime import date

# The roles `createuser` makes, as `--help` lists them; patients get their portal login from
# `invite-patient`, tied to their record.
STAFF_ROLES = {
    "prescriber": "licensed prescriber (needs --license-number and --license-expiry)",
    "nurse": "nurse",
    "therapist": "therapist",
    "frontdesk": "front desk",
    "admin": "clinic admin (users, protocols, consent documents, policy, audit)",
    "researcher": "researcher (de-identified data only)",
}
MAX_SEED_PATIENTS = 1_000_000
_ASCII_INT = re.compile(r"[0-9]+")


class CliError(Exception):
    """A problem the person at the terminal can fix: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line (argparse's default prints the whole usage first).
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _whole_number(low: int, high: int):
    def parse(text: str) -> int:
        # ASCII digits only: int() would also read "٨٠" or "1_000".
        if not _ASCII_INT.fullmatch(text.strip()):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    parse.__name__ = "whole number"
    return parse


def _iso_date(text: str) -> date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a real date ({exc})") from None


_port = _whole_number(1, 65535)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _start_sequencer() -> None:
    """The audit log's sequencer beside the server: a child process that seals every
    KETACARE_AUDIT_SEAL_SECONDS and exits when the server (its parent, after the exec
    below) is gone."""
    import subprocess

    from django.conf import settings

    if settings.AUDIT_SEAL_SECONDS <= 0:
        return
    subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ketacare.cli",
            "audit",
            "seal",
            "--every",
            str(settings.AUDIT_SEAL_SECONDS),
            "--while-parent",
            str(os.getpid()),
        ]
    )


def _start_bulk_worker() -> None:
    """The Bulk Data export worker beside the server (``bulk_export_run --every``), a child
    process like the sequencer, gone with the server."""
    import subprocess

    from django.conf import settings

    if settings.BULK_EXPORT_POLL_SECONDS <= 0:
        return
    subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ketacare.cli",
            "manage",
            "bulk_export_run",
            "--every",
            str(settings.BULK_EXPORT_POLL_SECONDS),
            "--while-parent",
            str(os.getpid()),
        ]
    )


THREADS_PER_WORKER = 4


def _gunicorn(port: int, host: str, workers: int) -> int:
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "ketacare.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        # Threaded workers keep an HTTP connection open between requests (the sync worker
        # closes it after each): a device or integration posting readings reuses it. Measured
        # on the vitals write: about 10% less server CPU per write (bench/README.md).
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS_PER_WORKER),
        "--keep-alive",
        "5",
        "--access-logfile",
        "-",
        "--timeout",
        "60",
    ]
    # Become gunicorn (exec, not a child process): a supervisor's SIGTERM or Ctrl-C then
    # reaches gunicorn's master itself, which stops its workers, instead of leaving them
    # orphaned behind a wrapper that died.
    from django.db import connections

    connections.close_all()
    sys.stdout.flush()
    _start_sequencer()
    _start_bulk_worker()
    os.execv(sys.executable, cmd)
    return 0  # not reached


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from ketacare.demo.seed import DEMO_USERNAMES, demo_password, demo_totp_keys, seed_demo_clinic

    print(f"KetaCare demo: database under {settings.DATA_DIR}")
    _migrate()
    created = seed_demo_clinic(password=demo_password())
    print("Seeded a demo clinic." if created else "Reusing the existing demo clinic.")
    _announce_audit_log()
    print(f"\nOpen http://127.0.0.1:{args.port}/ and sign in as one of:")
    keys = demo_totp_keys()
    for username in DEMO_USERNAMES:
        key = f"  authenticator key: {keys[username]}" if username in keys else ""
        print(f"  {username:<11} password: {demo_password()}{key}")
    print(
        "(set KETACARE_DEMO_PASSWORD, and KETACARE_DEMO_TOTP_SECRET for one base32 key for all,"
        " before the first run)\n"
        "Staff sign-ins ask for a one-time code: add the key to an authenticator app (TOTP,"
        " SHA-1, 6 digits, 30 s), or print the current code with `ketacare demo-code USERNAME`.\n"
    )
    return _gunicorn(args.port, "127.0.0.1", 2)


def _announce_audit_log() -> None:
    """Seal what seeding wrote and say where the log's keys and checkpoints are."""
    from ketacare.audit import keys
    from ketacare.audit.sequencer import seal

    result = seal()
    while result.more:
        result = seal()
    print(
        f"\nAudit log: {result.tree_size} entries sealed; checkpoints in {keys.checkpoint_file()}"
    )
    print(f"Its public key ({keys.public_key_path()}), for `ketacare audit verify` anywhere:")
    print(keys.public_key_path().read_text(encoding="utf-8").strip())


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    if not os.environ.get("KETACARE_SECRET_KEY") and not os.environ.get("KETACARE_SECRET_KEY_FILE"):
        print("warning: KETACARE_SECRET_KEY is not set; using a key generated under the data dir")
    if not os.environ.get("KETACARE_AUDIT_SIGNING_KEY_FILE"):
        print(
            "warning: KETACARE_AUDIT_SIGNING_KEY_FILE is not set; the audit log is signed with "
            "a key generated under the data dir"
        )
    if args.migrate:
        _migrate(verbosity=1)
    workers = args.workers or (2 * (os.cpu_count() or 1) + 1)
    return _gunicorn(args.port, args.host, workers)


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate(verbosity=1)
    return 0


def _new_password() -> str:
    password = os.environ.get("KETACARE_NEW_USER_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise CliError(
            "no password given: set KETACARE_NEW_USER_PASSWORD or run in a terminal to be asked"
        )
    try:
        password = getpass.getpass("Password: ")
        again = getpass.getpass("Password (again): ")
    except EOFError:
        raise CliError("no password given (input ended)") from None
    if password != again:
        raise CliError("the two passwords differ")
    if not password:
        raise CliError("the password is empty")
    return password


def _clinic(args: argparse.Namespace):
    from ketacare.accounts.models import Clinic

    if args.clinic is not None:
        clinic = Clinic.objects.filter(pk=args.clinic).first()
        if clinic is None:
            raise CliError(f"no clinic with id {args.clinic}")
        return clinic
    return Clinic.objects.order_by("pk").first() or Clinic.objects.create(
        name=args.clinic_name or "KetaCare clinic"
    )


def cmd_createuser(args: argparse.Namespace) -> int:
    if args.role == "prescriber" and not (args.license_number and args.license_expiry):
        raise CliError("a prescriber needs --license-number and --license-expiry")
    password = args.password or _new_password()
    _setup_django()
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from ketacare.accounts.services import create_user
    from ketacare.clinical.errors import InvalidClinicalInput

    try:
        with transaction.atomic():
            user = create_user(
                actor=None,
                clinic=_clinic(args),
                username=args.username,
                password=password,
                role=args.role,
                first_name=args.first_name,
                last_name=args.last_name,
                license_number=args.license_number or "",
                license_expiry=args.license_expiry,
            )
    except InvalidClinicalInput as exc:
        raise CliError(exc.message) from None
    except ValidationError as exc:
        raise CliError(" ".join(exc.messages)) from None
    clinic = user.clinic
    if args.role == "admin":
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    print(f"created {user.username} ({user.role}) at {clinic.name}")
    return 0


def cmd_invite_patient(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from ketacare.clinical.errors import InvalidClinicalInput
    from ketacare.patients.models import Patient
    from ketacare.portal.services import invite_patient

    patient = Patient.objects.filter(pk=args.patient).first()
    if patient is None:
        raise CliError(f"no patient with id {args.patient}")
    try:
        invitation = invite_patient(actor=None, patient=patient, username=args.username)
    except InvalidClinicalInput as exc:
        raise CliError(exc.message) from None
    base = (args.base_url or settings.PUBLIC_URL).rstrip("/")
    print(
        f"portal login {invitation.user.username!r} for patient {patient.pk}: give the patient "
        f"this link (it works once, for {invitation.valid_for_days} days):"
    )
    print(f"{base}{invitation.activation_path}")
    return 0


def _base_url(text: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s):// address")
    return text


def cmd_seed(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from ketacare.demo.registry import seed_registry

    seed_registry(patients=args.patients, seed=args.seed, progress=not args.quiet)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup_django()
    from pathlib import Path

    from ketacare.audit.services import verify_log

    result = verify_log(
        checkpoint_file=Path(args.checkpoints) if args.checkpoints else None,
        public_key_file=Path(args.public_key) if args.public_key else None,
    )
    for note in result.notes:
        print(f"note: {note}")
    if result.unsealed:
        shown = ", ".join(f"#{i}" for i in result.unsealed[:20])
        more = f" and {len(result.unsealed) - 20} more" if len(result.unsealed) > 20 else ""
        print(
            f"{len(result.unsealed)} entries not yet sealed (newer than the last checkpoint): "
            f"{shown}{more}"
        )
    if not result.ok:
        print(f"audit log BROKEN: {result.problem.message}", file=sys.stderr)
        return 1
    if result.checkpoint is None:
        print(f"audit log intact: {result.checked} entries verified; no signed checkpoint yet")
    else:
        from ketacare.audit.checkpoints import format_time

        signed = format_time(result.checkpoint.signed_at)
        print(
            f"audit log intact: {result.checked} entries verified against the checkpoint of "
            f"{result.checkpoint.tree_size} leaves signed {signed} "
            f"({result.checkpoints} signed checkpoints checked, consistent with each other)"
        )
    return 0


def cmd_audit_seal(args: argparse.Namespace) -> int:
    _setup_django()
    from ketacare.audit.sequencer import run_sequencer, seal

    if args.every:
        return run_sequencer(args.every, parent=args.while_parent)
    while True:
        result = seal()
        if result.checkpoint is not None:
            print(f"sealed {result.sealed} entries: checkpoint of {result.tree_size} leaves")
        else:
            print(f"nothing new to seal ({result.tree_size} leaves)")
        if not result.more:
            return 0


def _print_json(value) -> None:
    import json

    print(json.dumps(value, indent=2))


def cmd_audit_prove(args: argparse.Namespace) -> int:
    _setup_django()
    from ketacare.audit.proofs import ProofUnavailable
    from ketacare.audit.services import prove_inclusion

    try:
        _print_json(prove_inclusion(args.entry_id, tree_size=args.tree_size))
    except ProofUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_audit_consistency(args: argparse.Namespace) -> int:
    _setup_django()
    from ketacare.audit.proofs import ProofUnavailable
    from ketacare.audit.services import prove_consistency

    try:
        _print_json(prove_consistency(args.old, args.new))
    except ProofUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_audit_check(args: argparse.Namespace) -> int:
    """Check a proof with only the public key: no database, no Django."""
    import json
    from pathlib import Path

    from ketacare.audit import checkpoints
    from ketacare.audit.merkle import ProofError

    try:
        bundle = json.loads(Path(args.proof).read_text(encoding="utf-8"))
        key = checkpoints.load_public_key(Path(args.public_key))
        if "inclusion_path" in bundle:
            checkpoint = checkpoints.verify_inclusion_bundle(bundle, key)
            print(
                f"proof verified: entry #{bundle['entry_id']} is leaf {bundle['leaf_index']} "
                f"of the log signed at {checkpoint.tree_size} leaves"
            )
        else:
            old, new = checkpoints.verify_consistency_bundle(bundle, key)
            print(
                f"proof verified: the log of {new.tree_size} leaves extends the log of "
                f"{old.tree_size} leaves"
            )
    except (ProofError, checkpoints.CheckpointError, KeyError, ValueError, OSError) as exc:
        print(f"proof does NOT verify: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_demo_code(args: argparse.Namespace) -> int:
    """The current one-time code of a demo clinic login (for trying the demo without an
    authenticator app); refuses every other clinic's logins."""
    _setup_django()
    from ketacare.demo.seed import demo_totp_code

    code = demo_totp_code(args.username)
    if code is None:
        print(f"{args.username!r} is not a demo staff login with an authenticator", file=sys.stderr)
        return 1
    print(code)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line, get_commands

    if args.rest and not args.rest[0].startswith("-") and args.rest[0] not in get_commands():
        raise CliError(f"no management command {args.rest[0]!r} (see ketacare manage help)")
    execute_from_command_line(["ketacare manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ketacare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="migrate, seed a demo clinic (SQLite) and serve it")
    demo.add_argument("--port", type=_port, default=8000)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="production server (gunicorn, several workers)")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--workers", type=_whole_number(1, 256), default=0, help="default: 2 x cores + 1"
    )
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    roles = "\n".join(f"  {name:<11} {what}" for name, what in STAFF_ROLES.items())
    cu = sub.add_parser(
        "createuser",
        help="create a staff login with a role",
        description=f"Create a staff login. Roles:\n{roles}\n\n"
        "A patient's portal login comes from `ketacare invite-patient`.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cu.add_argument(
        "--role",
        required=True,
        choices=list(STAFF_ROLES),
        metavar="ROLE",
        help="one of: " + ", ".join(STAFF_ROLES) + " (listed above)",
    )
    cu.add_argument("--username", required=True)
    cu.add_argument(
        "--password",
        help="visible to other users of this machine: prefer KETACARE_NEW_USER_PASSWORD, "
        "or being asked",
    )
    cu.add_argument("--first-name", default="")
    cu.add_argument("--last-name", default="")
    cu.add_argument("--license-number")
    cu.add_argument("--license-expiry", type=_iso_date, help="YYYY-MM-DD (prescribers)")
    cu.add_argument(
        "--clinic", type=_whole_number(1, 2**63 - 1), help="clinic id (default: the first clinic)"
    )
    cu.add_argument("--clinic-name", help="name for a new clinic when none exists")
    cu.set_defaults(func=cmd_createuser)

    invite = sub.add_parser(
        "invite-patient",
        help="create a registered patient's portal login and print its one-time link",
        description="Create the portal login of a registered patient (or renew the link of "
        "one not yet activated) and print a one-time activation link, on which the patient "
        "chooses a password.",
    )
    invite.add_argument(
        "--patient", type=_whole_number(1, 2**63 - 1), required=True, help="patient id"
    )
    invite.add_argument("--username", help="default: the patient's MRN, in lower case")
    invite.add_argument(
        "--base-url",
        type=_base_url,
        help="the clinic's address, e.g. https://clinic.example.org (default: KETACARE_PUBLIC_URL)",
    )
    invite.set_defaults(func=cmd_invite_patient)

    seed = sub.add_parser("seed", help="synthetic registry for load tests and benchmarks")
    seed.add_argument("--patients", type=_whole_number(1, MAX_SEED_PATIENTS), required=True)
    seed.add_argument("--seed", type=_whole_number(0, 2**32 - 1), default=1)
    seed.add_argument("--quiet", action="store_true")
    seed.set_defaults(func=cmd_seed)

    audit = sub.add_parser("audit", help="the audit log: seal, verify, prove")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check every entry against the signed checkpoints; name the first problem"
    )
    verify.add_argument("--checkpoints", help="checkpoint file (default: the configured one)")
    verify.add_argument("--public-key", help="the log's public key (default: the configured one)")
    verify.set_defaults(func=cmd_audit_verify)
    seal = audit_sub.add_parser("seal", help="integrate new entries and sign a checkpoint")
    seal.add_argument("--every", type=float, default=0, help="keep sealing every N seconds")
    seal.add_argument("--while-parent", type=int, default=0, help=argparse.SUPPRESS)
    seal.set_defaults(func=cmd_audit_seal)
    prove = audit_sub.add_parser("prove", help="inclusion proof of an entry (JSON)")
    prove.add_argument("entry_id", type=int)
    prove.add_argument("--tree-size", type=int, help="against this checkpoint (default: newest)")
    prove.set_defaults(func=cmd_audit_prove)
    consistency = audit_sub.add_parser(
        "consistency", help="consistency proof between two checkpoints (JSON)"
    )
    consistency.add_argument("old", type=int, help="tree size of the older checkpoint")
    consistency.add_argument("new", type=int, help="tree size of the newer checkpoint")
    consistency.set_defaults(func=cmd_audit_consistency)
    check = audit_sub.add_parser("check", help="check a proof with only the public key")
    check.add_argument("proof", help="a file holding what prove or consistency printed")
    check.add_argument("--public-key", required=True)
    check.set_defaults(func=cmd_audit_check)

    code = sub.add_parser("demo-code", help="current one-time code of a demo staff login")
    code.add_argument("username")
    code.set_defaults(func=cmd_demo_code)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    prog = f"ketacare {args.command}"
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        return _fail(prog, str(exc), 2)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one line, no traceback
        from ketacare.env import ConfigError

        if isinstance(exc, ConfigError):
            return _fail(prog, str(exc), 2)
        if os.environ.get("KETACARE_DEBUG", "").lower() in {"1", "true", "yes", "on"}:
            raise
        return _fail(prog, _describe(exc), 1)


def _describe(exc: Exception) -> str:
    from django.db import DatabaseError

    first_line = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, DatabaseError):
        if "no such table" in first_line or "does not exist" in first_line:
            return f"the database is not set up ({first_line}); run `ketacare migrate` first"
        return f"cannot use the database: {first_line}"
    return f"unexpected {type(exc).__name__}: {first_line} (KETACARE_DEBUG=true shows more)"


def _fail(prog: str, message: str, status: int) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
