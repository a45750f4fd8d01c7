"""``ketacare manage roles_doc``: regenerate docs/roles.md from accounts/permissions.py."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from ketacare.accounts.roles_doc import DEFAULT_PATH, render_roles_doc


class Command(BaseCommand):
    help = "Write docs/roles.md (the role x permission table) from accounts/permissions.py."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, default=DEFAULT_PATH, help="where to write (docs/roles.md)"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit 1 when the file differs from what would be written",
        )

    def handle(self, *args, output: Path, check: bool, **options):
        text = render_roles_doc()
        if check:
            current = output.read_text(encoding="utf-8") if output.exists() else ""
            if current != text:
                self.stderr.write(f"{output} is stale: run `ketacare manage roles_doc`")
                raise SystemExit(1)
            self.stdout.write(f"{output} is current")
            return
        output.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {output}")
