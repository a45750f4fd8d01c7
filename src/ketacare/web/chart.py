"""The patient chart is composed of panels that each clinic app contributes.

An app adds a panel by providing ``ketacare.<app>.chart.chart_panels(request, patient)``
returning a list of ``ChartPanel``. The chart page itself reads the patient once through
``access_patient`` (audited) and asks each app, in app order, for its panels, so no app's
page logic lives here and no app imports another app's templates.
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
