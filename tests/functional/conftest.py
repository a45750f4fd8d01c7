"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser) against
pytest-django's live server. Screenshots of the main pages go to a temporary directory, or
to docs/screenshots/ (the README's) with KETACARE_UPDATE_SCREENSHOTS=1, so a test run leaves
the checkout clean.

``assert_accessible(page)`` runs axe-core (vendored under ``vendor/axe-core``, injected into
the page, never downloaded) and fails on serious or critical violations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("KETACARE_CHROMIUM", "/usr/bin/chromium")
README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (arranging data) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Browser tests drive Debian's chromium at {CHROMIUM}: install it with "
            "`apt-get install chromium` (or set KETACARE_CHROMIUM). Playwright never downloads one."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


def enter_password_and_code(page, username: str, password: str, otp) -> None:
    """On the sign-in page: the password step, then the one-time code when it is asked for
    (``otp(user)``: the code the user's authenticator app shows now)."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/login/second-factor/" in page.url:
        from ketacare.accounts.models import User

        page.get_by_label("One-time code").fill(otp(User.objects.get(username=username)))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()


@pytest.fixture
def sign_in(page, live_server, otp):
    """Sign in through the real pages: password, then the authenticator's current code."""

    def _sign_in(username: str, password: str = "correct horse battery"):
        page.goto(f"{live_server.url}/login/")
        enter_password_and_code(page, username, password, otp)
        return page

    return _sign_in


@pytest.fixture
def screenshot_dir(tmp_path_factory) -> Path:
    """Where screenshots go (for tests driving several browser contexts)."""
    if os.environ.get("KETACARE_UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return README_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(page, screenshot_dir):
    def _shot(name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page as it stands (WCAG 2.x A/AA and best practices).
    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not govern (``add_script_tag`` would add an inline <script>, which it refuses)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )


def assert_page_accessible(page) -> None:
    blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core: serious/critical violations on {page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in blocking
    )


@pytest.fixture
def assert_accessible():
    return assert_page_accessible


CSP_MESSAGE = "Content Security Policy"


class CspViolations:
    """Content-Security-Policy violations a browser context reports: the console errors
    Chromium logs for each refused script, style, handler or load ("Refused to ... because
    it violates the following Content Security Policy directive"), and the pages'
    ``securitypolicyviolation`` events (recorded by an init script, which the policy does
    not govern)."""

    def __init__(self, context) -> None:
        self.seen: list[str] = []
        context.add_init_script(
            """document.addEventListener("securitypolicyviolation", (e) => {
                console.error(`Content Security Policy violation: ${e.violatedDirective} `
                    + `blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
            });"""
        )
        context.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if CSP_MESSAGE in message.text:
            self.seen.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def assert_none(self) -> None:
        assert not self.seen, "CSP violations:\n" + "\n".join(self.seen)


@pytest.fixture
def csp_violations(context):
    """The violations reported in the ``page`` fixture's browser context."""
    return CspViolations(context)
