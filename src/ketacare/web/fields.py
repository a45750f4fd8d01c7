"""Form fields for numbers and dates that accept ASCII digits only.

Django's ``IntegerField``, ``DecimalField`` and ``FloatField`` read text with Python's
``int``/``Decimal``/``float``, and its date fields with ``strptime``: all of them accept any
Unicode decimal digit, so a weight typed '٨٠' (Eastern Arabic digits) or '８０' (full-width)
would be stored as 80. These fields refuse such text with a clear message, as the API does
(``ketacare.clinical.plausibility.is_ascii_number``). Every form uses them (a test checks)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ketacare.clinical.plausibility import is_ascii_number

NUMBER_MESSAGE = "Write the number with the digits 0-9 (and one decimal point if needed)."
DATE_MESSAGE = "Write the date and time with the digits 0-9."


def _has_foreign_digit(text: str) -> bool:
    return any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text)


class _AsciiNumber:
    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip() and not is_ascii_number(value.strip()):
            raise ValidationError(NUMBER_MESSAGE, code="invalid")
        return super().to_python(value)  # type: ignore[misc]


class _AsciiDate:
    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and _has_foreign_digit(value):
            raise ValidationError(DATE_MESSAGE, code="invalid")
        return super().to_python(value)  # type: ignore[misc]


class IntegerField(_AsciiNumber, forms.IntegerField):
    pass


class DecimalField(_AsciiNumber, forms.DecimalField):
    pass


class FloatField(_AsciiNumber, forms.FloatField):
    pass


class DateField(_AsciiDate, forms.DateField):
    pass


class DateTimeField(_AsciiDate, forms.DateTimeField):
    pass


class TimeField(_AsciiDate, forms.TimeField):
    pass


ASCII_FIELDS = (IntegerField, DecimalField, FloatField, DateField, DateTimeField, TimeField)
