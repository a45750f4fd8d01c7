"""Make an ES384-signed JWT for calling KetaCare's CDS Hooks service (README example).

    python scripts/cds_jwt.py keygen ehr-key.pem          # P-384 key; prints the public JWKS
    python scripts/cds_jwt.py token ehr-key.pem \\
        --iss https://ehr.example \\
        --aud http://localhost:8000/cds-services/ketacare-treatment-recommendation

Configure KetaCare with the printed JWKS: KETACARE_CDS_HOOKS_CLIENTS='{"https://ehr.example":
{"jwks": <JWKS>}}' (or publish it and use {"jwks_url": "https://..."}). Each token is valid for
5 minutes and has a fresh jti, so make a new one for every call (a replay is refused).
Signing is PyJWT's (with the cryptography package); nothing here is hand-written crypto.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

LIFETIME_SECONDS = 300  # KetaCare refuses exp more than 5 minutes after iat


def keygen(path: str, kid: str) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    print(json.dumps({"keys": [public_jwk(key, kid)]}))


def public_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "ES384"}


def token(path: str, *, iss: str, aud: str, kid: str) -> str:
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    now = int(time.time())
    claims = {
        "iss": iss,
        "sub": iss,
        "aud": aud,
        "iat": now,
        "exp": now + LIFETIME_SECONDS,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": kid, "typ": "JWT"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    k = sub.add_parser("keygen", help="write a P-384 private key (PEM) and print its JWKS")
    k.add_argument("path")
    k.add_argument("--kid", default="ehr-key-1")
    t = sub.add_parser("token", help="print an ES384-signed JWT for one CDS call")
    t.add_argument("path")
    t.add_argument("--iss", required=True)
    t.add_argument("--aud", required=True, help="the CDS service URL being called")
    t.add_argument("--kid", default="ehr-key-1")
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            keygen(args.path, args.kid)
        else:
            print(token(args.path, iss=args.iss, aud=args.aud, kid=args.kid))
    except (OSError, ValueError) as exc:
        print(f"cds_jwt: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
