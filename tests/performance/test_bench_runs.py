"""`python -m bench web --engines ...` runs end to end: seeds a small registry, measures every
page against its baseline, and reports, once per engine, in its own process."""

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
SMALL_RUN = ("--patients", "12", "--repeats", "2", "--skip-vitals")
PAGES = ("board", "chart", "run sheet", "alerts (API)", "outcomes (API)", "floor")


def _bench(tmp_path: Path, engine: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", "web", "--engines", engine, *SMALL_RUN],
        cwd=ROOT,
        env={**os.environ, "KETACARE_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _check(done: subprocess.CompletedProcess, result_file: Path) -> None:
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(result_file.read_text())
    assert result["registry_patients"] == 12
    rows = {row["page"].split(":")[0]: row for row in result["pages"]}
    assert set(rows) == set(PAGES)
    for page, row in rows.items():
        assert "error" not in row, (page, row)
        assert row["median_ms"] > 0
        assert row["sql_median_ms"] > 0
        assert row["audited_median_ms"] > 0  # the page's SQL plus one audit INSERT
    assert "- chart: p95 <= 150 ms" in done.stdout
    assert "- board against its SQL plus one audit INSERT in one transaction" in done.stdout


def test_the_web_benchmark_runs_on_sqlite(tmp_path):
    done = _bench(tmp_path, "sqlite", KETACARE_DATABASE_URL="")
    _check(done, tmp_path / "bench-sqlite" / "bench-web-result.json")


@pytest.mark.skipif(
    not os.environ.get("KETACARE_DATABASE_URL"), reason="the PostgreSQL pass of the suite"
)
def test_the_web_benchmark_creates_its_postgresql_database_and_runs(tmp_path):
    parts = urlsplit(os.environ["KETACARE_DATABASE_URL"])
    name = f"ketacare_bench_test_{os.getpid()}"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        done = _bench(tmp_path, "postgresql", KETACARE_BENCH_DATABASE_URL=url)
        _check(done, tmp_path / "bench-pg" / "bench-web-result.json")
    finally:
        server = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
