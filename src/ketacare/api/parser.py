"""The API's body parser: the project's one safe JSON reader (ketacare.json_body)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from ketacare.json_body import read_json_body


class SafeJsonParser(Parser):
    """`application/json` only, size- and depth-limited; errors become the API's error shape
    (ninja wraps them in an HttpError whose cause errors.py reads)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return read_json_body(request)
