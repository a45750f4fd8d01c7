"""QR code of an authenticator key, as inline SVG (segno: no image library, no script, and
nothing a strict Content-Security-Policy refuses)."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str) -> SafeString:
    qr = segno.make(data, error="m")
    # segno escapes nothing from ``data`` into the markup: only the module paths.
    return mark_safe(
        qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", title="Authenticator key")
    )
