"""Load-independent cost per request: `python -m bench cpu [--requests N] [--profile PAGE]`.

Wall times on a shared machine move with the load; the CPU time this process spends per
request (``time.process_time``: the Django stack, the ORM, templates, the database driver's
client side) and the statements it sends do not. Over the registry `python -m bench web`
seeds (same engine selection, same data dir), in-process through Django's test Client:

- ``vitals``: ``POST /api/v1/sessions/{id}/vitals`` with a nurse's bearer token, each write
  to the next checked-in session of one clinic (the write path of the vitals benchmark
  without gunicorn and HTTP);
- ``chart``, ``board``, ``run sheet`` and the ``floor`` (one patient, API): the pages of
  `python -m bench web`, over different records.

Per page: CPU ms per request (median and mean over N requests after a warm-up), wall ms
beside it, and the statements of one more request (Django's count, transaction control
included). ``--profile PAGE`` writes a cProfile of N requests of that page to
``bench-cpu-PAGE.prof`` in the data dir and prints its top functions. To compare two codes on
the same registry, run this script under each (e.g. ``PYTHONPATH=OLD_TREE/src``) in turn.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from pathlib import Path

PAGES = ("vitals", "chart", "board", "run sheet", "floor: one patient (API)")


def _vitals_requests(n: int):
    """(client, method, url, body, headers) for ``n`` vitals writes of one clinic."""
    from django.test import Client

    from bench.web import vitals_body
    from ketacare.accounts.models import User
    from ketacare.accounts.services import issue_api_token
    from ketacare.demo.registry import registry_clinics
    from ketacare.treatment.models import TreatmentSession

    clinic = registry_clinics().order_by("id")[0]
    sessions = list(
        TreatmentSession.objects.filter(clinic=clinic, state="checked_in")
        .order_by("id")
        .values_list("id", flat=True)[:200]
    )
    if not sessions:
        raise RuntimeError("no checked-in session in the registry's first clinic")
    nurse = User.objects.filter(clinic=clinic, role="nurse").order_by("id")[0]
    headers = {"Authorization": f"Bearer {issue_api_token(user=nurse)}"}
    client = Client()
    out = []
    for k in range(n):
        url = f"/api/v1/sessions/{sessions[k % len(sessions)]}/vitals"
        out.append((client, "post", url, vitals_body(k), headers))
    return out


def _page_requests(name: str, n: int, seed: int):
    from bench.web import _Clients, _samples

    clients = _Clients()
    samples = _samples(n, seed)[name]
    out = []
    for clinic_id, url, _, _ in samples:
        client, token = clients.for_clinic(clinic_id)
        out.append((client, "get", url, None, token if url.startswith("/api/") else {}))
    # cycle to n requests when there are fewer records
    return [out[k % len(out)] for k in range(n)] if out else []


def _requests(name: str, n: int, seed: int):
    return _vitals_requests(n) if name == "vitals" else _page_requests(name, n, seed)


def _call(request) -> int:
    client, method, url, body, headers = request
    if method == "post":
        response = client.post(url, body, content_type="application/json", headers=headers)
    else:
        response = client.get(url, headers=headers)
    return response.status_code


def _expect(status: int, name: str) -> None:
    if status not in (200, 201):
        raise RuntimeError(f"{name}: HTTP {status}")


def measure(name: str, n: int, seed: int, warm: int = 5) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    requests = _requests(name, n + warm + 1, seed)
    for request in requests[:warm]:
        _expect(_call(request), name)
    cpu, wall = [], []
    for request in requests[warm:-1]:
        c0, w0 = time.process_time(), time.perf_counter()
        status = _call(request)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        _expect(status, name)
    with CaptureQueriesContext(connection) as ctx:
        _expect(_call(requests[-1]), name)
    return {
        "page": name,
        "n": len(cpu),
        "cpu_median_ms": statistics.median(cpu) * 1000,
        "cpu_mean_ms": statistics.fmean(cpu) * 1000,
        "wall_median_ms": statistics.median(wall) * 1000,
        "queries": len(ctx.captured_queries),
    }


def profile(name: str, n: int, seed: int, out: Path, top: int = 40) -> str:
    requests = _requests(name, n + 5, seed)
    for request in requests[:5]:
        _expect(_call(request), name)
    prof = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
    prof.enable()
    for request in requests[5:]:
        _call(request)
    prof.disable()
    prof.dump_stats(out)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).sort_stats("cumulative")
    stats.print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def report(rows: list[dict], load: tuple[float, float, float]) -> str:
    lines = [
        f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "",
        "| page | requests | CPU ms median | CPU ms mean | wall ms median | queries |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['page']} | {r['n']} | {r['cpu_median_ms']:.2f} | {r['cpu_mean_ms']:.2f} |"
            f" {r['wall_median_ms']:.2f} | {r['queries']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m bench cpu", description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated")
    parser.add_argument("--profile", help="one page to profile with cProfile instead")
    args = parser.parse_args(argv or [])
    from bench.web import _marker, _setup

    load = os.getloadavg()
    _setup(args)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if args.profile:
        out = _marker().with_name(f"bench-cpu-{args.profile.split(':')[0].replace(' ', '-')}.prof")
        print(profile(args.profile, args.requests, args.seed, out))
        print(f"(profile in {out})")
        return 0
    rows = [measure(name.strip(), args.requests, args.seed) for name in args.pages.split(",")]
    print(report(rows, load))
    return 0
