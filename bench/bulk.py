"""Bulk Data export benchmark: `python -m bench bulk [--patients N] [--clinics K]`.

Engine and registry as `python -m bench web` (same data dirs, same `ketacare seed`
registry, reused when it is already there): PostgreSQL when KETACARE_DATABASE_URL is set,
otherwise SQLite under KETACARE_DATA_DIR (default .ketacare/bench-sqlite).

For each registry clinic (all of them, or the first K), end to end as a data warehouse does
it: a SMART backend client registered for the clinic's prescriber, a token by a signed client
assertion, the system-level ``$export`` kick-off, the worker's run (``bulk.run_pending``,
timed), the manifest, and every NDJSON file downloaded and counted. Measured in the same run,
the **baseline**: the same clinic's rows of the same tables read with plain SQL (one
``SELECT *`` per table, once each, streamed with ``fetchmany``) and each row written as one line
of ``json.dumps`` to a file; no FHIR, no audit. Printed: resources, seconds, resources per
second, the ratio export / baseline, and the worker's peak memory growth (RSS), which stays
flat when the export streams.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.web import _setup, ensure_registry, machine

ROOT = Path(__file__).resolve().parent.parent
FETCH = 2000


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend_for(clinic_id: int, workdir: Path):
    """A backend client for the clinic's first prescriber: (client_id, key)."""
    import io

    from django.core.management import call_command

    from ketacare.accounts.models import User

    sys.path.insert(0, str(ROOT))
    from scripts.backend_jwt import new_key, public_jwks

    user = User.objects.filter(clinic_id=clinic_id, role="prescriber").order_by("id")[0]
    key = new_key("ES384")
    jwks = workdir / f"clinic-{clinic_id}.jwks.json"
    jwks.write_text(json.dumps(public_jwks(key, "bench-1", "ES384")))
    out = io.StringIO()
    call_command(
        "smart_register_backend",
        name=f"Bench warehouse {clinic_id}",
        user=user.username,
        jwks_file=str(jwks),
        stdout=out,
    )
    return out.getvalue().split("client_id:", 1)[1].split()[0], key


def export_clinic(clinic_id: int, workdir: Path, types: str = "") -> dict:
    from django.test import Client
    from scripts.backend_jwt import token_form

    from ketacare.interop.fhir import bulk

    client_id, key = _backend_for(clinic_id, workdir)
    http = Client()
    form = token_form(
        key,
        client_id=client_id,
        token_url="http://testserver/oauth2/token",
        kid="bench-1",
        scope="system/*.read",
    )
    token = http.post("/oauth2/token", form).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    kicked = http.get(
        "/fhir/$export",
        {"_type": types} if types else {},
        headers={**auth, "Accept": "application/fhir+json", "Prefer": "respond-async"},
    )
    if kicked.status_code != 202:
        raise RuntimeError(f"kick-off: HTTP {kicked.status_code} {kicked.content[:300]!r}")
    status_url = kicked["Content-Location"].removeprefix("http://testserver")
    rss_before = _rss_mib()
    start = time.perf_counter()
    bulk.run_pending()
    seconds = time.perf_counter() - start
    rss_growth = _rss_mib() - rss_before
    done = http.get(status_url, headers=auth)
    if done.status_code != 200:
        raise RuntimeError(f"status: HTTP {done.status_code} {done.content[:300]!r}")
    manifest = done.json()
    lines = 0
    for entry in manifest["output"]:
        response = http.get(entry["url"].removeprefix("http://testserver"), headers=auth)
        for block in response.streaming_content:
            lines += block.count(b"\n")
    counted = sum(e["count"] for e in manifest["output"])
    if lines != counted:
        raise RuntimeError(f"files hold {lines} lines, the manifest counts {counted}")
    http.delete(status_url, headers=auth)
    types = sorted({e["type"] for e in manifest["output"]})
    return {"resources": counted, "seconds": seconds, "rss_growth_mib": rss_growth,
            "types": types}  # fmt: skip


def baseline_clinic(clinic_id: int, types: list[str], workdir: Path) -> float:
    """Plain SQL over the same tables and clinic, one json.dumps line per row, to a file."""
    from django.db import connection

    from ketacare.interop.fhir import server

    tables = []
    for name in types:
        for source in server.KINDS[name].sources:
            model = source.queryset().model
            column = model._meta.get_field(source.clinic_field.removesuffix("_id")).column
            tables.append((model._meta.db_table, column))
    # Each table once (the export, too, reads a vital-signs reading once for its four
    # Observations): the baseline reads every row the export reads, and no more.
    tables = list(dict.fromkeys(tables))
    out_path = workdir / f"baseline-{clinic_id}.ndjson"
    start = time.perf_counter()
    with out_path.open("w", encoding="utf-8") as out, connection.cursor() as cur:
        for table, column in tables:
            qn = connection.ops.quote_name
            cur.execute(
                f"SELECT * FROM {qn(table)} WHERE {qn(column)} = %s ORDER BY {qn('id')}",
                [clinic_id],
            )
            names = [c[0] for c in cur.description]
            while rows := cur.fetchmany(FETCH):
                for row in rows:
                    out.write(json.dumps(dict(zip(names, row, strict=True)), default=str) + "\n")
    seconds = time.perf_counter() - start
    out_path.unlink()
    return seconds


def report(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"Bulk Data export, {result['registry_patients']:,} registry patients, "
        f"{len(result['clinics'])} clinic(s) exported ({m['engine']}, {m['nproc']} CPUs, "
        f"load {m['load_average_at_start'][0]:.1f}, {result['when']:%Y-%m-%d %H:%M} UTC)",
        "",
        "| clinic | patients | resources | export s | resources/s | baseline s | ratio | "
        "worker RSS growth MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["clinics"]:
        lines.append(
            f"| {row['clinic_id']} | {row['patients']:,} | {row['resources']:,} | "
            f"{row['seconds']:.1f} | {row['resources'] / row['seconds']:,.0f} | "
            f"{row['baseline_seconds']:.1f} | {row['seconds'] / row['baseline_seconds']:.1f}x | "
            f"{row['rss_growth_mib']:.0f} |"
        )
    total = sum(r["seconds"] for r in result["clinics"])
    base = sum(r["baseline_seconds"] for r in result["clinics"])
    resources = sum(r["resources"] for r in result["clinics"])
    patients = sum(r["patients"] for r in result["clinics"])
    lines += [
        "",
        f"- all exported clinics: {patients:,} patients, {resources:,} resources in "
        f"{total:.1f} s ({resources / total:,.0f} resources/s); baseline {base:.1f} s; "
        f"ratio {total / base:.1f}x",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench bulk", description=__doc__)
    parser.add_argument(
        "--patients",
        type=int,
        default=None,
        help="seed the registry up to N (default: reuse the registry there as it is, or seed"
        " 100,000 when there is none)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clinics", type=int, default=0, help="export the first K (0: all)")
    parser.add_argument("--types", default="", help="_type for the export (default: all)")
    args = parser.parse_args(argv or [])
    if (args.patients is not None and args.patients < 1) or args.clinics < 0:
        parser.error("--patients takes a whole number >= 1, --clinics >= 0")
    _setup(args)
    from django.conf import settings

    from ketacare.demo.registry import registry_clinics
    from ketacare.patients.models import Patient

    result: dict = {"when": datetime.now(UTC), "machine": machine()}
    if args.patients is None:
        # The registry already there (the lead's 100,000, say) is measured as it is: never
        # topped up, so `python -m bench bulk --clinics 1` does not start a seeding.
        have = Patient.objects.filter(clinic__in=registry_clinics()).count()
        args.patients = have or 100_000
    result["seeding"] = ensure_registry(args.patients, args.seed)
    clinics = list(registry_clinics().order_by("pk").values_list("pk", flat=True))
    if args.clinics:
        clinics = clinics[: args.clinics]
    result["registry_patients"] = Patient.objects.filter(clinic__in=registry_clinics()).count()
    result["clinics"] = []
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR) as tmp:
        workdir = Path(tmp)
        for clinic_id in clinics:
            row = {"clinic_id": clinic_id,
                   "patients": Patient.objects.filter(clinic_id=clinic_id).count()}  # fmt: skip
            row.update(export_clinic(clinic_id, workdir, args.types))
            row["baseline_seconds"] = baseline_clinic(clinic_id, row["types"], workdir)
            result["clinics"].append(row)
            print(
                f"clinic {clinic_id}: {row['resources']:,} resources in {row['seconds']:.1f} s,"
                f" baseline {row['baseline_seconds']:.1f} s",
                flush=True,
            )
    text = report(result)
    print(text)
    out = Path(settings.DATA_DIR) / "bench-bulk-result.json"
    out.write_text(json.dumps(result, default=str, indent=2))
    print(f"\n(results also in {out})")
    return 0
