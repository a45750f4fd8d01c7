"""`python -m bench bulk` runs end to end: seeds (or reuses) a small registry, exports its
clinic through a SMART backend client, downloads and counts the files, measures the baseline
in the same run, and reports."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


def _bench(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", "bulk", "--patients", "12"],
        cwd=ROOT,
        env={**os.environ, "KETACARE_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _check(done: subprocess.CompletedProcess, tmp_path: Path) -> None:
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "bench-bulk-result.json").read_text())
    assert result["registry_patients"] == 12
    [clinic] = result["clinics"]
    assert clinic["patients"] == 12
    assert clinic["resources"] > 12 * 10
    assert {"Patient", "Observation", "Encounter", "MedicationAdministration"} <= set(
        clinic["types"]
    )
    assert clinic["seconds"] > 0
    assert clinic["baseline_seconds"] > 0
    assert "| clinic | patients | resources | export s |" in done.stdout


def test_the_bulk_benchmark_runs_on_sqlite(tmp_path):
    _check(_bench(tmp_path, KETACARE_DATABASE_URL=""), tmp_path)


@pytest.mark.skipif(
    not os.environ.get("KETACARE_DATABASE_URL"), reason="the PostgreSQL pass of the suite"
)
def test_the_bulk_benchmark_runs_on_postgresql(tmp_path):
    parts = urlsplit(os.environ["KETACARE_DATABASE_URL"])
    name = f"ketacare_bench_bulk_test_{os.getpid()}"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        _check(_bench(tmp_path, KETACARE_DATABASE_URL=url), tmp_path)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
