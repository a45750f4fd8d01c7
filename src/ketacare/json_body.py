"""One safe reader for JSON request bodies, used by every JSON endpoint (the /api/v1 parser,
CDS Hooks, FHIR).

It refuses, each with a stable `code` and a message a client developer can act on:
- a media type other than the ones the endpoint accepts (`unsupported_media_type`, 415);
  `application/json` only by default, so a `text/plain` body is never read as JSON;
- a charset other than UTF-8 (RFC 8259 section 8.1: JSON exchanged between systems is UTF-8);
- a body over Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` (`request_body_too_large`, 400);
- text that is not JSON, including `NaN`/`Infinity` (not JSON numbers) and an object that
  repeats a key (`malformed_json`, 400);
- nesting deeper than `max_depth` arrays and objects (`json_too_deep`, 400), instead of a
  RecursionError in the parser or in the validation after it.

Usage:

    from ketacare.json_body import JsonBodyError, read_json_body

    try:
        data = read_json_body(request)                      # or media_types=FHIR_JSON
    except JsonBodyError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message, "details": {}},
                            status=exc.status)
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

JSON = ("application/json",)
# Every real body in the product nests a handful of levels (a FHIR Bundle about ten).
MAX_DEPTH = 32


class JsonBodyError(Exception):
    """A request body that is not acceptable JSON; `status` is the HTTP status to answer."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def read_json_body(
    request: HttpRequest,
    *,
    media_types: tuple[str, ...] = JSON,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """The request body parsed as JSON, or JsonBodyError saying why it cannot be."""
    check_media_type(request, media_types)
    try:
        raw = request.body
    except RequestDataTooBig as exc:
        raise too_large() from exc
    return parse_json(raw, max_depth=max_depth)


def check_media_type(request: HttpRequest, media_types: tuple[str, ...] = JSON) -> None:
    media_type = (request.content_type or "").lower()
    if media_type not in media_types:
        accepted = " or ".join(media_types)
        raise JsonBodyError(
            "unsupported_media_type",
            f"Send the body as {accepted} (Content-Type was {media_type or 'missing'}).",
            status=415,
        )
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        raise JsonBodyError(
            "unsupported_media_type", f"JSON bodies are UTF-8 (charset was {charset}).", 415
        )


def too_large() -> JsonBodyError:
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return JsonBodyError(
        "request_body_too_large",
        f"The request body is larger than this server accepts ({limit} bytes).",
    )


def parse_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Strict JSON text to Python values, refusing what RFC 8259 does not define as JSON."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise JsonBodyError("malformed_json", "The body is not valid UTF-8.") from exc
    try:
        data = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except RecursionError as exc:
        # The C scanner gives up cleanly at the interpreter's recursion limit.
        raise _too_deep(max_depth) from exc
    except ValueError as exc:  # JSONDecodeError, and our refusals below
        raise JsonBodyError("malformed_json", f"The body is not valid JSON: {exc}.") from exc
    if _depth(data) > max_depth:
        raise _too_deep(max_depth)
    return data


def _too_deep(max_depth: int) -> JsonBodyError:
    return JsonBodyError(
        "json_too_deep", f"The body nests arrays and objects more than {max_depth} levels deep."
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def _depth(data: Any) -> int:
    # Iterative, so checking a deep value cannot itself overflow the stack.
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest
