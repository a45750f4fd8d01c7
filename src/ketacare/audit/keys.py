"""Where the log's signing key, public key and checkpoint file live (settings, never the
database). ``KETACARE_AUDIT_SIGNING_KEY_FILE`` names the Ed25519 private key; its public key
sits beside it as ``<file>.pub`` unless ``KETACARE_AUDIT_PUBLIC_KEY_FILE`` says otherwise.
Checkpoints are appended to ``checkpoints.jsonl`` under ``KETACARE_AUDIT_CHECKPOINT_DIR``."""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from ketacare.audit import checkpoints

log = logging.getLogger(__name__)

CHECKPOINT_FILE_NAME = "checkpoints.jsonl"


def signing_key_path() -> Path:
    return Path(settings.AUDIT_SIGNING_KEY_FILE)


def public_key_path() -> Path:
    configured = getattr(settings, "AUDIT_PUBLIC_KEY_FILE", None)
    return Path(configured) if configured else checkpoints.public_key_path(signing_key_path())


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / CHECKPOINT_FILE_NAME


def signing_key(*, create: bool = True) -> Ed25519PrivateKey:
    """The log's signing key; generated (with its public key beside it) on first use when
    the file does not exist yet, as the demo and a fresh install need."""
    path = signing_key_path()
    if not path.exists():
        if not create:
            raise FileNotFoundError(path)
        log.warning("audit: generating a new log signing key at %s", path)
        try:
            return checkpoints.generate_key_file(path)
        except FileExistsError:  # another sequencer made it first
            pass
    return checkpoints.load_signing_key(path)


def public_key() -> Ed25519PublicKey:
    return checkpoints.load_public_key(public_key_path())
