"""Take the README's screenshots: Playwright (Debian's chromium) against a fresh demo clinic,
at desktop (1440x900) and tablet (1024x768) sizes.

    pip install -e '.[test]'            # Playwright's Python package (no browser download)
    python scripts/readme_screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

It runs ``ketacare demo`` on a free local port with a throwaway data directory (so the
checkout's own ``.ketacare/`` demo is untouched), with one authenticator key for every demo
login (``KETACARE_DEMO_TOTP_SECRET``) and the one-time codes from ``ketacare demo-code``. Then,
as the demo's people would:

- the nurse opens the clinic-day board, checks a patient in on the run sheet and goes back to
  the board, which marks the changed row (``board-*.png``, ``run-sheet-*.png``);
- the prescriber opens the chart of a patient with an open safety alert: the fixed header of
  what is dangerous above the panels (``chart-*.png``).

Each page once per size, the window exactly that size (not the whole page), saved as
``<page>-desktop.png`` and ``<page>-tablet.png``. The demo server is stopped at the end (its
own process group, started here).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"desktop": (1440, 900), "tablet": (1024, 768)}
PASSWORD = "ketacare-demo"
READY_TIMEOUT_S = 600  # migrating and seeding 30 patients on a busy 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the demo server stopped (exit {server.returncode}); see its output above")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(2)
    sys.exit(f"the demo server did not answer {url} within {READY_TIMEOUT_S} s")


class Demo:
    """``ketacare demo`` in a throwaway data directory, on a free port."""

    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="ketacare-screenshots-")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "KETACARE_DATA_DIR": self.tmp.name,
            "KETACARE_DEMO_PASSWORD": PASSWORD,
            # One random authenticator key for every demo login (base32, 160 bits).
            "KETACARE_DEMO_TOTP_SECRET": base64.b32encode(secrets.token_bytes(20)).decode(),
        }
        self.env.pop("KETACARE_DATABASE_URL", None)  # the demo's own SQLite database
        self.server: subprocess.Popen | None = None

    def __enter__(self) -> Demo:
        self.server = subprocess.Popen(
            ["ketacare", "demo", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,  # its own process group: stopped whole at the end
        )
        _wait_until_up(f"{self.url}/login/", self.server)
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
        self.tmp.cleanup()

    def code(self, username: str) -> str:
        """The login's current one-time code, from ``ketacare demo-code``."""
        out = subprocess.run(
            ["ketacare", "demo-code", username],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip().split()[-1]


def sign_in(page, demo: Demo, username: str) -> None:
    page.goto(f"{demo.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/login/second-factor/" in page.url:
        page.get_by_label("One-time code").fill(demo.code(username))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
    if "/login/" in page.url:
        sys.exit(f"could not sign in as {username} (still on {page.url})")


def shoot(page, out: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "() => { document.activeElement && document.activeElement.blur(); scrollTo(0, 0); }"
    )
    path = out / f"{name}.png"
    page.screenshot(path=str(path))  # the window only: exactly the size's pixels
    print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def nurse_pages(browser, demo: Demo, out: Path) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, demo, "nurse")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{demo.url}/board/")
        # A session still waiting: check it in on its run sheet, then back to the board.
        row = page.locator("tr[data-session]", has_text="Scheduled").first
        row.get_by_role("link").first.click()
        page.wait_for_url(re.compile(r"/sessions/\d+/$"))
        page.get_by_role("button", name="Check in").click()
        page.locator('#status-panel [data-state="checked_in"]').wait_for()
        shoot(page, out, f"run-sheet-{size}")
        page.goto(f"{demo.url}/board/")
        page.locator("tr[data-changed]").first.wait_for()
        shoot(page, out, f"board-{size}")
    context.close()


def prescriber_pages(browser, demo: Demo, out: Path) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, demo, "prescriber")
    page.goto(f"{demo.url}/board/")
    alerted = page.locator("#open-alerts li[data-code] a").first
    chart = alerted.get_attribute("href") if alerted.count() else None
    if chart is None:  # no open alert in the demo today: the first patient of the list
        page.goto(f"{demo.url}/patients/")
        chart = page.locator('main a[href^="/patients/"]').first.get_attribute("href")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{demo.url}{chart}")
        page.locator("#chart-header").wait_for()
        shoot(page, out, f"chart-{size}")
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--chromium", default=os.environ.get("KETACARE_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        sys.exit(f"no chromium at {args.chromium}: apt-get install chromium (or --chromium PATH)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with Demo() as demo, sync_playwright() as playwright:
        print(f"demo clinic up at {demo.url}; screenshots:")
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            nurse_pages(browser, demo, args.out)
            prescriber_pages(browser, demo, args.out)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
