"""`python -m bench web --before TREE` measures two codes on one registry in one run: the older
code seeds it, the newer one measures a copy it migrated, the runs alternate which goes first,
and one table shows both. Here "before" is a stand-in tree whose interpreter imports this
same code from the tree's own path (the real one is a git worktree with its own venv)."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
SMALL_RUN = ("--patients", "12", "--repeats", "2", "--rounds", "2", "--skip-vitals")


def _before_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "before"
    (tree / ".venv" / "bin").mkdir(parents=True)
    (tree / "src").symlink_to(ROOT / "src")
    python = tree / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{tree / "src"}" exec "{sys.executable}" "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return tree


def _compare(tmp_path: Path, engine: str, **env: str) -> subprocess.CompletedProcess:
    data = tmp_path / "data"
    before = str(_before_tree(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "bench", "web", "--before", before, "--engines", engine, *SMALL_RUN],
        cwd=ROOT,
        env={**os.environ, "KETACARE_DATA_DIR": str(data), **env},
        capture_output=True,
        text=True,
        timeout=900,
    )


def _check(done: subprocess.CompletedProcess, data: Path, kind: str) -> None:
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    before = json.loads((data / f"bench-{kind}-before" / "bench-web-result.json").read_text())
    after = json.loads((data / f"bench-{kind}-after" / "bench-web-result.json").read_text())
    assert before["registry_patients"] == after["registry_patients"] == 12  # one registry
    # Two rounds, the second in the other order.
    order = [line for line in done.stdout.splitlines() if ", round " in line]
    assert [line.split(": ")[1].split(" ")[0] for line in order] == [
        "before",
        "after",
        "after",
        "before",
    ]
    table = (data / f"bench-{kind}-compare.md").read_text()
    for page in ("board", "chart", "floor: one patient (API)"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {page} |"))
        cells = [c.strip() for c in row.split("|")[2:-1]]
        assert all(" / " in c for c in cells[:4]), row  # each figure from both rounds
    assert "- after, board within 5x of its SQL plus one audit INSERT" in table


def test_before_and_after_on_one_sqlite_registry(tmp_path):
    done = _compare(tmp_path, "sqlite", KETACARE_DATABASE_URL="")
    _check(done, tmp_path / "data", "sqlite")


@pytest.mark.skipif(
    not os.environ.get("KETACARE_DATABASE_URL"), reason="the PostgreSQL pass of the suite"
)
def test_before_and_after_on_one_postgresql_registry(tmp_path):
    parts = urlsplit(os.environ["KETACARE_DATABASE_URL"])
    name = f"ketacare_compare_test_{os.getpid()}"
    try:
        done = _compare(
            tmp_path,
            "postgresql",
            KETACARE_BENCH_DATABASE_URL=urlunsplit(parts._replace(path=f"/{name}")),
        )
        _check(done, tmp_path / "data", "pg")
    finally:
        server = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(server, autocommit=True) as conn:
            for suffix in ("_before", "_after"):
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(name + suffix)
                    )
                )
