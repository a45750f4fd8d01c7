"""``{{ value|qty }}``: a ledger quantity (Decimal mL or mg) without trailing zeros or an
exponent (10.000 -> 10, 0.400 -> 0.4)."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def qty(value):
    if not isinstance(value, Decimal):
        return value
    return format(value.normalize(), "f")
