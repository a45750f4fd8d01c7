"""The clinic-day board's rows as the page shows them: each row's link, names and labels
worked out once in Python instead of by a ``{% url %}``, presenter tags and filters per row
in the template (the board has 30-60 rows; rendering them was over half the page's CPU).

The words, codes, links and markup are the very ones the template tags give
(``web.templatetags.present.named``, ``web.presenters``); a protocol's name is worked out
once per protocol version on the page, not once per row. Nothing here reads the database
or decides anything: it presents a ``page_selectors.Board``.

Each session row's ``<tr>`` is built here too (``row_html``), escaping every value as the
template would: the row had some 25 variable, ``if`` and ``for`` nodes, which took the template
engine about 6.5 ms of CPU for a board of 49 rows (this takes about 1.5 ms). The
observation timer, shown on the few rows in dosing or observation, is still the shared
``treatment/_timer.html`` (the run sheet shows it too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape as _escape  # what django.utils.html.escape calls

from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

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
    timer = get_template("treatment/_timer.html")
    for row in board.rows:
        row.text = _row_text(row, protocols)
        row.html = row_html(row, timer)
    scales: dict[str, SafeString] = {}
    board.due_items = [due_item(patient, due, scales) for patient, due in board.assessments_due]
    return board


def due_item(patient, due, scales: dict[str, SafeString]) -> SafeString:
    """The patient's ``<li>`` in the board's "Assessments due", as its template showed it."""
    for d in due:
        if d.instrument not in scales:
            scales[d.instrument] = named("scale", d.instrument)
    shown = "; ".join(
        _html("{} ({})", scales[d.instrument], presenters.readable_text(d.reason)) for d in due
    )
    return _html(
        '<li><a href="{}">{}, {}</a>: {}</li>',
        reverse("web:patient_chart", args=[patient.pk]),
        patient.family_name,
        patient.given_name,
        SafeString(shown),
    )


def _html(template: str, *args) -> SafeString:
    """``format_html`` without its lazy-string wrappers (a few hundred calls per board): each
    value escaped exactly as ``conditional_escape`` would, safe strings left as they are."""
    return SafeString(
        template.format(*(a if hasattr(a, "__html__") else _escape(str(a)) for a in args))
    )


def _html_join(template: str, args) -> SafeString:
    return SafeString("".join(_html(template, *a) for a in args))


def _plural(n: int) -> str:
    return "" if n == 1 else "s"  # Django's ``pluralize`` with its default suffix


def row_html(row: BoardRow, timer) -> SafeString:
    """The row's ``<tr>`` as the board's template showed it, byte for byte."""
    text, session = row.text, row.session
    attrs = _html(
        '<tr data-session="{}" data-version="{}" data-name="{}"{}>',
        session.pk,
        row.changes_key,
        text.name,
        mark_safe(' data-overdue class="row-overdue"') if row.overdue else "",
    )
    due = _html("{}\n                ", row.next_step)
    if row.next_check:
        check = row.next_check
        due += _html(
            "<br>Vitals check {} min after the dose: {}, at {}",
            check.minutes_after_start,
            check.status,
            presenters.clock(check.due_at),
        )
    due += mark_safe("\n                ")
    if row.overdue_checks:
        due += _html(
            '<br><strong class="badge danger overdue" data-overdue-readings="{}">'
            '<span aria-hidden="true">⚠</span> Overdue: {} vitals check{} missed</strong>',
            row.overdue_checks,
            row.overdue_checks,
            _plural(row.overdue_checks),
        )
    due += mark_safe("\n                ")
    if row.problem:
        due += _html('<br><span class="warning">{}</span>', row.problem)
    observation = (
        timer.render({"timer": row.timer})
        if row.timer
        else mark_safe('<span class="muted">—</span>')
    )
    alerts = _html_join('<span class="badge danger">Alert: {}</span> ', ((a,) for a in text.alerts))
    assessments = _html_join(
        '<span class="badge warn">{} due</span> ', ((d,) for d in text.assessments)
    )
    rems, paperwork = row.rems_pending, mark_safe("")
    if rems and rems.overdue:
        paperwork = _html(
            '<span class="badge danger overdue" data-overdue-rems><span aria-hidden="true">'
            "⚠</span> REMS form overdue by {} day{}</span>",
            rems.days_overdue,
            _plural(rems.days_overdue),
        )
    elif rems:
        paperwork = _html(
            '<span class="badge">REMS form to submit by {}</span>', presenters.day(rems.due_at)
        )
    return _html(
        "{}\n"
        '              <td data-label="Time">{}<span class="change-note" hidden></span></td>\n'
        '              <td data-label="Patient"><a href="{}">{}</a><br>'
        '<small class="muted">{} · session {}</small></td>\n'
        '              <td data-label="State"><span class="badge state state-{}">{}</span></td>\n'
        '              <td data-label="Due next">{}\n'
        "              </td>\n"
        '              <td data-label="Observation">{}</td>\n'
        '              <td data-label="Flags">\n'
        "                {}\n"
        "                {}\n"
        "                {}\n"
        "              </td>\n"
        "            </tr>",
        attrs,
        text.time,
        text.url,
        text.name,
        text.protocol,
        session.number,
        session.state,
        text.state,
        due,
        observation,
        alerts,
        assessments,
        paperwork,
    )


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
