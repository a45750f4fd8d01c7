"""``ketacare manage bulk_export_run``: run the waiting Bulk Data exports."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ketacare.interop.fhir.bulk import run_pending, run_worker


class Command(BaseCommand):
    help = (
        "Run the Bulk Data exports waiting to start, then exit (for cron); with --every S, "
        "keep looking every S seconds (the worker `ketacare serve` starts beside itself)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0.0)
        parser.add_argument("--while-parent", type=int, default=0, help="exit when it is gone")

    def handle(self, *args, every, while_parent, **options):
        if every > 0:
            run_worker(every, parent=while_parent)
            return
        ran = run_pending()
        self.stdout.write(f"{ran} export(s) run")
