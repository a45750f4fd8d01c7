"""A SMART Backend Services client's key and client assertion, for KetaCare's Bulk Data export
(README, Interoperability). Signing is PyJWT's (with the cryptography package); nothing here
is hand-written crypto.

    python scripts/backend_jwt.py keygen warehouse-key.pem > warehouse.jwks.json
        # a P-384 key (ES384; --alg RS384 for RSA) and its public JWK Set, to register with
        # ketacare manage smart_register_backend --jwks-file warehouse.jwks.json ...
    python scripts/backend_jwt.py assertion warehouse-key.pem --client-id ID \\
        --token-url http://localhost:8000/oauth2/token          # prints a client assertion
    python scripts/backend_jwt.py token warehouse-key.pem --client-id ID \\
        --token-url http://localhost:8000/oauth2/token --scope 'system/*.read'
        # posts the assertion (client_credentials) and prints the access token

An assertion is valid for 5 minutes at most and has a fresh jti: make one per token request
(a replay is refused).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.parse
import urllib.request
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LIFETIME_SECONDS = 240  # KetaCare refuses an exp more than 5 minutes ahead


def new_key(alg: str):
    if alg == "ES384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def public_jwks(key, kid: str, alg: str) -> dict:
    algorithm = jwt.algorithms.ECAlgorithm if alg == "ES384" else jwt.algorithms.RSAAlgorithm
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "alg": alg, "use": "sig"}]}


def write_key(key, path: str) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def load_key(path: str):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def alg_of(key) -> str:
    return "ES384" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS384"


def assertion(key, *, client_id: str, token_url: str, kid: str) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "exp": now + LIFETIME_SECONDS,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm=alg_of(key), headers={"kid": kid, "typ": "JWT"})


def token_form(key, *, client_id: str, token_url: str, kid: str, scope: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(key, client_id=client_id, token_url=token_url, kid=kid),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="a new private key file and its public JWK Set")
    keygen.add_argument("key_file")
    keygen.add_argument("--alg", choices=["ES384", "RS384"], default="ES384")
    keygen.add_argument("--kid", default="backend-1")
    for name in ("assertion", "token"):
        p = sub.add_parser(name)
        p.add_argument("key_file")
        p.add_argument("--client-id", required=True)
        p.add_argument("--token-url", required=True)
        p.add_argument("--kid", default="backend-1")
        if name == "token":
            p.add_argument("--scope", default="system/*.read")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        key = new_key(args.alg)
        write_key(key, args.key_file)
        print(json.dumps(public_jwks(key, args.kid, args.alg)))
        return 0
    key = load_key(args.key_file)
    if args.command == "assertion":
        print(assertion(key, client_id=args.client_id, token_url=args.token_url, kid=args.kid))
        return 0
    form = token_form(
        key, client_id=args.client_id, token_url=args.token_url, kid=args.kid, scope=args.scope
    )
    request = urllib.request.Request(
        args.token_url, data=urllib.parse.urlencode(form).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        print(json.loads(response.read())["access_token"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
