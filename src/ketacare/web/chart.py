"""The patient chart is composed of panels that each clinic app contributes.

An app adds a panel by providing ``ketacare.<app>.chart.chart_panels(request, patient)``
returning a list of ``ChartPanel``, and ``PANEL_PERMISSION`` beside it: the chart asks only
the apps whose permission the user holds (front desk gets no scores, evaluations or doses;
docs/roles.md). The chart page itself reads the patient once through
``access_patient`` (audited) and asks each app, in app order, for its panels, so no app's
page logic lives here and no app imports another app's templates.

Above the panels the chart shows a fixed header of what is dangerous (``web.selectors
.chart_header``); each panel is a ``<details>`` element that opens where the user left it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChartPanel:
    key: str  # region id, e.g. "consents"
    title: str
    template: str  # e.g. "consent/chart_panel.html"
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    # Whether the panel is open when the user has not chosen (the chart remembers each
    # panel's open or closed state in the browser: web/static/ketacare/js/chart_panels.js).
    open_by_default: bool = True
