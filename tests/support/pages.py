"""Pages as a reader and a strict Content-Security-Policy see them, for the CSP and
accessibility tests: what a strict CSP refuses in a page's markup (inline <script>, <style>,
style="", on*= handlers, javascript: URLs), and a crawl of every page a signed-in client
reaches by links and htmx hx-get partials, one page per URL shape (digits stand for any id)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.test import Client

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# Links the crawl does not follow: signing out ends the session; Django's own admin is not
# the clinic's pages; downloads and the API are checked for the header only.
NOT_FOLLOWED = ("/logout/", "/admin/", "/static/", "/api/", "/fhir", "/cds-services")
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
CRAWL_LIMIT = 120  # pages per role, far above what any role reaches today


def parse_policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {d[0]: (d[1] if len(d) > 1 else "") for d in directives}


class _InlineFinder(HTMLParser):
    """What a strict CSP refuses in a page's markup, and the page's same-site links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self._script_open: str | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs_d = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"line {line}: style attribute on <{tag}>: {value!r}")
            elif name.startswith("on"):
                self.problems.append(f"line {line}: {name}= handler on <{tag}>")
            elif name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: javascript: URL on <{tag}>")
        if tag == "style":
            self.problems.append(f"line {line}: <style> block")
        if tag == "script":
            kind = (attrs_d.get("type") or "").strip().lower()
            if not attrs_d.get("src") and kind not in DATA_SCRIPT_TYPES:
                self._script_open = f"line {line}: inline <script>"
                self._script_text = []
        if tag == "a" and attrs_d.get("href"):
            self.links.append(attrs_d["href"])
        if attrs_d.get("hx-get"):
            self.links.append(attrs_d["hx-get"])

    def handle_data(self, data):
        if self._script_open is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script_open is not None:
            self.problems.append(f"{self._script_open}: {''.join(self._script_text)[:80]!r}")
            self._script_open = None


def inline_problems(html: str) -> tuple[list[str], list[str]]:
    finder = _InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.problems, finder.links


def assert_strict_policy(response) -> None:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    assert parse_policy(header) == POLICY, header
    assert "unsafe" not in header
    assert "nonce" not in header


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


@dataclass(frozen=True)
class Page:
    path: str
    problems: list[str]  # what the CSP refuses in its markup
    document: bool  # a whole page (not an htmx partial)


def crawl(client: Client, start: str = "/") -> dict[str, Page]:
    """GET ``start`` and every same-site page linked from what it reaches (one per URL
    shape), each response checked for the strict policy; the HTML pages found, by path."""
    found: dict[str, Page] = {}
    queue, seen = [start], {_shape(start)}
    while queue and len(found) < CRAWL_LIMIT:
        path = queue.pop(0)
        response = client.get(path)
        assert response.status_code in {200, 302, 403, 404}, (path, response.status_code)
        assert_strict_policy(response)
        if response.status_code == 302:
            links = [response["Location"]]
        elif response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        else:
            body = response.content.decode()
            problems, links = inline_problems(body)
            found[path] = Page(path, problems, "<html" in body[:200].lower())
        for link in links:
            parts = urlsplit(urljoin(path, link))
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith(NOT_FOLLOWED) or _shape(parts.path) in seen:
                continue
            seen.add(_shape(parts.path))
            queue.append(target)
    return found
