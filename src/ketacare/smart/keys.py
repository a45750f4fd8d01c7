"""The RSA key that signs SMART id_tokens (OpenID Connect, RS256; the toolkit publishes its
public half at /oauth2/.well-known/jwks.json). Like the audit key it never lives in the
database: a file, generated on first use for the demo and development (0600, in a 0700
directory), named by ``KETACARE_SMART_SIGNING_KEY_FILE`` in production."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def load_or_create(path: Path) -> str:
    """The PEM text of the key at ``path``, generated there first if it does not exist."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    return path.read_text(encoding="utf-8")
