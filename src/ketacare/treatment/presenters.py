"""The clinic-day board's rows as the page shows them: each row's link, names and labels
worked out once in Python instead of by a ``{% url %}``, presenter tags and filters per row
in the template (the board has 30-60 rows; rendering them was over half the page's CPU).

The words, codes, links and markup are the very ones the template tags give
(``web.templatetags.present.named``, ``web.presenters``); a protocol's name is worked out
once per protocol version on the page, not once per row. Nothing here reads the database
or decides anything: it presents a ``page_selectors.Board``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.safestring import SafeString

from ketacare.treatment.page_selectors import Board, BoardRow
from ketacare.web import presenters
from ketacare.web.templatetags.present import named


@dataclass(frozen=True, slots=True)
class BoardRowText:
    url: str  # the session's run sheet
    name: str  # "Family, Given"
    time: str  # the scheduled time on the clinic's clock
    protocol: SafeString  # {% named "protocol" course %}
    state: str  # {{ session.state|state }}
    alerts: list[SafeString] = field(default_factory=list)  # {% named "alert" code %} each
    assessments: list[SafeString] = field(default_factory=list)  # {% named "scale" ... %}


def present_board(board: Board) -> Board:
    """Set ``row.text`` on every row of ``board`` (returned for convenience)."""
    protocols: dict[tuple, SafeString] = {}
    for row in board.rows:
        row.text = _row_text(row, protocols)
    return board


def _row_text(row: BoardRow, protocols: dict[tuple, SafeString]) -> BoardRowText:
    session, patient = row.session, row.patient
    course = session.course
    key = (course.protocol_version_id, course.protocol_code)
    if key not in protocols:
        protocols[key] = named("protocol", course)
    return BoardRowText(
        url=reverse("treatment:session", args=[session.pk]),
        name=f"{patient.family_name}, {patient.given_name}",
        time=presenters.clock(session.scheduled_at),
        protocol=protocols[key],
        state=presenters.state_label(session.state),
        alerts=[named("alert", a.code) for a in row.alerts],
        assessments=[named("scale", d.instrument) for d in row.assessments_due],
    )
