"""The ``present`` template library (built in to every template, see settings): codes by
their names and instants on the clinic's clock, from ``ketacare.web.presenters``.

    {{ session.course|protocol }}   Esketamine 56/84 mg, treatment-resistant depression
    {{ "phq9"|scale }}              PHQ-9
    {{ alert.code|alert }}          Suicidal thoughts reported (PHQ-9 item 9)
    {{ session.state|state }}       Checked in
    {{ course.route|route }}        Intranasal
    {{ blocker|finding }}           the finding's message (or a bare code's name)
    {{ alert.message|readable }}    a core message with its instants and scale codes readable
    {{ taken_at|when }}             Wed 25 Nov, 08:30
    {{ taken_at|day }}              Wed 25 Nov
    {{ taken_at|clock }}            08:30
    {{ patient.date_of_birth|dated }}  3 Mar 1980
    {% named "scale" code %}        <span class="named" title="Code: phq9">PHQ-9</span>
    {% timestamp taken_at %}        <time datetime="2026-11-25T08:30:00+00:00">Wed 25 Nov,
                                    08:30</time>
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from ketacare.web import presenters as p

register = template.Library()

register.filter("protocol", p.protocol_label)
register.filter("scale", p.scale_label)
register.filter("alert", p.alert_label)
register.filter("state", p.state_label)
register.filter("route", p.route_label)
register.filter("indication", p.indication_label)
register.filter("finding", p.finding_label)
register.filter("readable", p.readable_text)
register.filter("event", p.event_label)
register.filter("when", p.when)
register.filter("day", p.day)
register.filter("dated", p.dated)
register.filter("clock", p.clock)


@register.simple_tag
def named(kind: str, code, text: str = "") -> str:
    """The name of ``code`` with the code itself in a tooltip, for support."""
    shown = text or p.label(kind, code)
    raw = getattr(code, "protocol_code", None) or getattr(code, "code", None) or code
    return format_html('<span class="named" title="Code: {}">{}</span>', raw, shown)


@register.simple_tag
def timestamp(value, form: str = "when") -> str:
    """``<time>`` with the machine instant and the clinic-clock text (``when``, ``day`` or
    ``clock``)."""
    if value is None:
        return ""
    text = {"when": p.when, "day": p.day, "clock": p.clock}[form](value)
    return format_html('<time datetime="{}">{}</time>', p.iso(value), text)
