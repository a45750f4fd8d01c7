"""The `ketacare` command: demo, serve, migrate, createuser, seed, audit verify, manage."""

from __future__ import annotations

import argparse
import getpass
import os
import sys


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


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
    os.execv(sys.executable, cmd)
    return 0  # not reached


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from ketacare.demo.seed import DEMO_USERNAMES, demo_password, seed_demo_clinic

    print(f"KetaCare demo: database under {settings.DATA_DIR}")
    _migrate()
    created = seed_demo_clinic(password=demo_password())
    print("Seeded a demo clinic." if created else "Reusing the existing demo clinic.")
    print(f"\nOpen http://127.0.0.1:{args.port}/ and sign in as one of:")
    for username in DEMO_USERNAMES:
        print(f"  {username:<11} password: {demo_password()}")
    print("(set KETACARE_DEMO_PASSWORD to choose the password before the first run)\n")
    return _gunicorn(args.port, "127.0.0.1", 2)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    if not os.environ.get("KETACARE_SECRET_KEY") and not os.environ.get("KETACARE_SECRET_KEY_FILE"):
        print("warning: KETACARE_SECRET_KEY is not set; using a key generated under the data dir")
    if args.migrate:
        _migrate(verbosity=1)
    workers = args.workers or (2 * (os.cpu_count() or 1) + 1)
    return _gunicorn(args.port, args.host, workers)


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate(verbosity=1)
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    _setup_django()
    from datetime import date

    from ketacare.accounts.models import Clinic
    from ketacare.accounts.services import create_user
    from ketacare.clinical.errors import InvalidClinicalInput

    clinic = (
        Clinic.objects.filter(pk=args.clinic).first() if args.clinic else Clinic.objects.first()
    )
    if clinic is None:
        clinic = Clinic.objects.create(name=args.clinic_name or "KetaCare clinic")
    password = args.password or os.environ.get("KETACARE_NEW_USER_PASSWORD")
    if not password:
        password = getpass.getpass("Password: ")
    try:
        user = create_user(
            actor=None,
            clinic=clinic,
            username=args.username,
            password=password,
            role=args.role,
            first_name=args.first_name,
            last_name=args.last_name,
            license_number=args.license_number or "",
            license_expiry=date.fromisoformat(args.license_expiry) if args.license_expiry else None,
        )
    except InvalidClinicalInput as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if args.role == "admin":
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    print(f"created {user.username} ({user.role}) at {clinic.name}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from ketacare.demo.registry import seed_registry

    seed_registry(patients=args.patients, seed=args.seed, progress=not args.quiet)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    _setup_django()
    from ketacare.audit.services import verify_chain

    result = verify_chain()
    if result.ok:
        print(f"audit chain intact: {result.checked} entries verified")
        return 0
    print(
        f"audit chain BROKEN at entry #{result.first_broken_id}: {result.problem} "
        f"({result.checked} entries verified before it)",
        file=sys.stderr,
    )
    return 1


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ketacare manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ketacare", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="migrate, seed a demo clinic (SQLite) and serve it")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="production server (gunicorn, several workers)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--workers", type=int, default=0)
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    cu = sub.add_parser("createuser", help="create a login with a role")
    cu.add_argument(
        "--role",
        required=True,
        choices=["prescriber", "nurse", "therapist", "frontdesk", "admin", "researcher"],
    )
    cu.add_argument("--username", required=True)
    cu.add_argument("--password", help="or KETACARE_NEW_USER_PASSWORD, or prompt")
    cu.add_argument("--first-name", default="")
    cu.add_argument("--last-name", default="")
    cu.add_argument("--license-number")
    cu.add_argument("--license-expiry", help="YYYY-MM-DD (prescribers)")
    cu.add_argument("--clinic", type=int, help="clinic id (default: the first clinic)")
    cu.add_argument("--clinic-name", help="name for a new clinic when none exists")
    cu.set_defaults(func=cmd_createuser)

    seed = sub.add_parser("seed", help="synthetic registry for load tests and benchmarks")
    seed.add_argument("--patients", type=int, required=True)
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--quiet", action="store_true")
    seed.set_defaults(func=cmd_seed)

    audit = sub.add_parser("audit", help="audit trail tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the hash chain; name the first break")
    verify.set_defaults(func=cmd_audit)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
