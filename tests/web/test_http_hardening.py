"""HTTP hardening (issue 14.4): no-store on responses with patient data, HSTS and the proxy
header under KETACARE_HTTPS=1, private data files, and a clean `check --deploy` with the
README's production settings."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path


def test_pages_and_api_answers_are_never_cached(client, api, nurse, patient):
    client.force_login(nurse)
    page = client.get(f"/patients/{patient.pk}/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    answer = api(nurse).get(f"/patients/{patient.pk}")
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-store"
    # Even a refusal or an unknown route: nothing of it is kept.
    assert client.get("/no-such-page/")["Cache-Control"] == "no-store"


def _ketacare(env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    # Only the settings given here: none of the test run's own (the browser tests' conftest
    # sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which check --deploy rightly refuses).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KETACARE_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "ketacare.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


# The README's production settings (Production section), with a throwaway key and data dir.
def _production_env(tmp_path: Path) -> dict:
    return {
        "KETACARE_DATA_DIR": str(tmp_path / "data"),
        "KETACARE_SECRET_KEY": "Tq8-vR2#mW5!zL9^pX3&nB7*cD4@hJ6$kF1%sG0(aE)yU-Zo3Wd7Ye2Vb5Nc8Mx",
        "KETACARE_HTTPS": "1",
        "KETACARE_ALLOWED_HOSTS": "clinic.example.org",
        "KETACARE_CSRF_TRUSTED_ORIGINS": "https://clinic.example.org",
    }


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    done = _ketacare(
        _production_env(tmp_path), "manage", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_warns_without_https(tmp_path):
    env = _production_env(tmp_path)
    del env["KETACARE_HTTPS"]
    done = _ketacare(env, "manage", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "security.W004" in done.stdout + done.stderr  # no HSTS


def test_https_switches_on_hsts_the_proxy_header_and_secure_cookies(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print('|'.join(map(str, [s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT])))"
    )
    done = _ketacare(_production_env(tmp_path), "manage", "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        "31536000|('HTTP_X_FORWARDED_PROTO', 'https')|True|True|True"
    )


def test_data_dir_and_sqlite_files_are_private(tmp_path):
    data = tmp_path / "fresh"
    done = _ketacare({"KETACARE_DATA_DIR": str(data)}, "migrate")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    db = data / "ketacare.sqlite3"
    files = [db, data / "secret_key"] + [
        p for p in (data / "ketacare.sqlite3-wal", data / "ketacare.sqlite3-shm") if p.exists()
    ]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
