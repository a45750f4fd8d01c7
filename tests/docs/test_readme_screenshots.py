"""The README's screenshots are the script's (scripts/readme_screenshots.py): each one it
references is committed under docs/, at the size its column says (desktop 1440x900, tablet
1024x768)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"desktop": (1440, 900), "tablet": (1024, 768)}


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])  # the IHDR chunk's width and height


def _referenced() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"\]\((docs/screenshots/[\w-]+-(?:desktop|tablet)\.png)\)", readme)


def test_readme_shows_each_page_at_desktop_and_tablet_size():
    shots = _referenced()
    pages = {re.sub(r"-(desktop|tablet)\.png$", "", Path(s).name) for s in shots}
    assert {"board", "run-sheet", "chart"} <= pages
    for page in pages:
        for size in SIZES:
            assert f"docs/screenshots/{page}-{size}.png" in shots


@pytest.mark.parametrize("size", sorted(SIZES))
def test_each_screenshot_is_committed_at_its_size(size):
    shots = [s for s in _referenced() if s.endswith(f"-{size}.png")]
    assert shots
    for shot in shots:
        assert _png_size(ROOT / shot) == SIZES[size], shot


def test_the_script_takes_the_screenshots_the_readme_shows():
    script = (ROOT / "scripts" / "readme_screenshots.py").read_text()
    assert '"desktop": (1440, 900)' in script
    assert '"tablet": (1024, 768)' in script
    assert "python scripts/readme_screenshots.py" in (ROOT / "README.md").read_text()
