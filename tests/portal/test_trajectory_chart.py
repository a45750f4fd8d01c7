"""The reusable trajectory chart component: local Chart.js only, with a text fallback."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

TRAJECTORY = {
    "instrument": "phq9",
    "instrument_label": "PHQ-9",
    "min_total": 0,
    "max_total": 27,
    "points": [
        {"at": datetime(2026, 1, 5, 9, tzinfo=UTC), "total": 21, "band_label": "Severe"},
        {"at": datetime(2026, 1, 19, 9, tzinfo=UTC), "total": 12, "band_label": "Moderate"},
        {"at": datetime(2026, 2, 2, 9, tzinfo=UTC), "total": 4, "band_label": "None-minimal"},
    ],
    "bands": [
        {"label": "None-minimal", "min_total": 0, "max_total": 4},
        {"label": "Mild", "min_total": 5, "max_total": 9},
        {"label": "Moderate", "min_total": 10, "max_total": 14},
        {"label": "Moderately severe", "min_total": 15, "max_total": 19},
        {"label": "Severe", "min_total": 20, "max_total": 27},
    ],
    "remission_max_total": 4,
    "doses": [{"at": datetime(2026, 1, 6, 10, tzinfo=UTC), "label": "Esketamine 56 mg"}],
}


def _render(trajectory=TRAJECTORY):
    return render_to_string(
        "web/components/trajectory_chart.html", {"trajectory": trajectory, "chart_id": "t1"}
    )


def test_chart_loads_only_local_scripts_and_the_vendored_file_exists():
    html = _render()
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assert sources == [
        "/static/ketacare/vendor/chartjs/chart.umd.min.js",
        "/static/ketacare/js/trajectory_chart.js",
    ]
    assert not any(s.startswith(("http:", "https:", "//")) for s in sources)
    for path in ("ketacare/vendor/chartjs/chart.umd.min.js", "ketacare/js/trajectory_chart.js"):
        found = finders.find(path)
        assert found
        assert Path(found).stat().st_size > 0
    assert finders.find("ketacare/vendor/chartjs/LICENSE.md")


def test_chart_has_a_text_summary_and_a_table_for_screen_readers():
    html = _render()
    assert 'role="img"' in html
    assert "3 scores from 5 Jan 2026 to 2 Feb 2026. Latest: 4 (None-minimal)" in html
    assert "Remission line: 4 or below." in html
    assert "1 dose marked." in html
    assert html.count("<tr><td>") == 3
    assert "6 Jan 2026 (Esketamine 56 mg)" in html


def test_chart_data_carries_bands_remission_and_doses_for_the_script():
    html = _render()
    payload = re.search(
        r'<script id="trajectory-data-t1" type="application/json">(.*?)</script>', html, re.S
    )
    data = json.loads(payload.group(1))
    assert [b["min_total"] for b in data["bands"]] == [0, 5, 10, 15, 20]
    assert data["remission_max_total"] == 4
    assert data["doses"][0]["at"].startswith("2026-01-06T10:00:00")


def test_chart_without_scores_says_so_and_draws_no_canvas():
    html = _render({**TRAJECTORY, "points": [], "doses": []})
    assert "No scores recorded yet." in html
    assert "<canvas" not in html
