"""KetaCare settings: one module, every value from KETACARE_* environment variables.

Deployment concerns only. Clinic-configurable clinical values are data (protocols app),
edited by a clinic admin and audited, never settings.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from ketacare.apps_registry import CLINIC_APPS
from ketacare.env import ConfigError, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("DATA_DIR", str(Path.cwd() / ".ketacare")) or ".ketacare").resolve()


def _private_data_dir(path: Path) -> None:
    """The data directory holds the database and keys: owner only (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _private_file(path: Path) -> None:
    """Create (or tighten) a file as owner read/write only (0600) before anything opens it.
    SQLite gives its -wal and -shm files the database file's mode; existing ones are
    tightened too."""
    import os

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            candidate.chmod(0o600)


DEBUG = env_bool("DEBUG", False)
_secret = env_str("SECRET_KEY")
if _secret is None:
    # Development and demo: keep a generated key under the data directory so sessions
    # survive restarts. Production must set KETACARE_SECRET_KEY (checked by `ketacare serve`).
    _private_data_dir(DATA_DIR)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        _private_file(key_file)  # 0600 before the key is written, never after
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    _secret = key_file.read_text(encoding="utf-8").strip()
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "ninja",
    "oauth2_provider",
    "ketacare.web",
    *(f"ketacare.{app}" for app in CLINIC_APPS),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: every response but a static file is marked no-store (patient data).
    "ketacare.web.headers.NoStoreMiddleware",
    # Content-Security-Policy on every response (django-csp; the policy is below), its
    # header built once from settings (web/headers.py).
    "ketacare.web.headers.ContentSecurityPolicyMiddleware",
    # /api/v1 answers every failure (404, 405, 500 ...) as {"code", "message", "details"}.
    "ketacare.api.middleware.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ketacare.web.sessions.SlidingSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The second sign-in step, for every URL (accounts/middleware.py).
    "ketacare.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ketacare.audit.middleware.RequestContextMiddleware",
    # axes last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketacare.urls"
WSGI_APPLICATION = "ketacare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketacare.web.context_processors.navigation",
            ],
            # Names for codes and the clinic's clock for instants, in every template
            # (ketacare/web/presenters.py).
            "builtins": ["ketacare.web.templatetags.present"],
        },
    }
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    except ValueError as exc:  # UnknownSchemeError and ParseError are ValueErrors
        raise ConfigError(f"KETACARE_DATABASE_URL is not a database URL: {exc}") from exc
    if DATABASES["default"]["ENGINE"] not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise ConfigError("KETACARE_DATABASE_URL must be a postgresql:// or sqlite:// URL")
else:
    _private_data_dir(DATA_DIR)
    _private_file(DATA_DIR / "ketacare.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "ketacare.sqlite3"),
            "OPTIONS": {
                # WAL lets readers proceed while one writer commits; IMMEDIATE transactions
                # take the write lock up front so concurrent writers queue instead of failing.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("FAST_PASSWORD_HASHER", False):
    # Tests only (set in pyproject's pytest env block): Argon2 is deliberately slow.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# NIST SP 800-63B section 5.1.1.2 (accounts/passwords.py says how each line follows it):
# length over complexity (at least 10 characters; no composition rules, no expiry), and
# refusal of common/breached passwords, the user's own name and the service's name.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "ketacare.accounts.passwords.ContextWordsValidator"},
]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Session expiry: idle clinical workstations must not stay signed in.
SESSION_COOKIE_AGE = env_int("SESSION_MINUTES", 30) * 60
# Saved at most once a minute while in use (web/sessions.py), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy (KETACARE_HTTPS=1): trust its X-Forwarded-Proto, redirect
# plain HTTP, send HSTS (one year, subdomains), and send cookies only over HTTPS.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False) or HTTPS
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list binds the whole domain for months: the domain
# owner's decision (KETACARE_HSTS_PRELOAD=1), not a default, so its deploy check is quiet.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True

# A strict Content-Security-Policy (django-csp) on every page and API answer: scripts,
# styles and images from this origin only. No template has an inline <script>, <style>,
# style="" or on*= handler (tests/web/test_content_security_policy.py parses every page;
# the browser tests collect CSP violations); htmx's own indicator <style> is switched off
# (the htmx-config meta tag in web/base.html) and its rules live in ketacare.css. QR codes
# are inline <svg> elements, which img-src does not govern. No nonces, no hashes, no
# 'unsafe-*': an injected script or style has no way in.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"

# Lockout after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ketacare.accounts.lockout.locked_out_response"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

API_TOKEN_HOURS = env_int("API_TOKEN_HOURS", 12)
# How far a reading's or a dose's time may run ahead of the server's clock (a device or
# client clock that drifts) before it counts as "in the future" and is refused.
CLOCK_SKEW_SECONDS = env_int("CLOCK_SKEW_SECONDS", 300)
if not 0 <= CLOCK_SKEW_SECONDS <= 3600:
    raise ConfigError("KETACARE_CLOCK_SKEW_SECONDS must be from 0 to 3600 seconds")
# The clinic's own address, for links made outside a request (`ketacare invite-patient`).
PUBLIC_URL = env_str("PUBLIC_URL", "http://127.0.0.1:8000")

# A token unused this long ends even before its lifetime (an integration that polls keeps
# it alive; one forgotten on a laptop does not).
API_TOKEN_IDLE_MINUTES = env_int("API_TOKEN_IDLE_MINUTES", 120)

# Second factor (django-otp): TOTP per RFC 6238 (SHA-1, 6 digits, 30 s; the library's
# defaults), named in authenticator apps as the issuer below.
OTP_TOTP_ISSUER = env_str("TOTP_ISSUER", "KetaCare") or "KetaCare"


def _webauthn_rp_id(hosts: list[str]) -> str:
    """The first allowed host that is a domain name (a WebAuthn RP ID cannot be an IP
    address), else ``localhost`` (the demo: open it at http://localhost:8000)."""
    import ipaddress

    for host in hosts:
        name = host.lstrip(".").strip("[]")
        if not name or "*" in name or name == "testserver":
            continue
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return name
    return "localhost"


# Passkeys and security keys (WebAuthn, py_webauthn): the relying party is this domain
# (KETACARE_WEBAUTHN_RP_ID, default: derived from KETACARE_ALLOWED_HOSTS); the origins the
# browser may sign for are KETACARE_WEBAUTHN_ORIGINS (e.g. https://clinic.example.org).
# Unset, the origin a request came to (its scheme and ALLOWED_HOSTS-checked host) is
# expected, which suits the demo and the tests' live server on localhost.
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID") or _webauthn_rp_id(ALLOWED_HOSTS)
WEBAUTHN_RP_NAME = env_str("WEBAUTHN_RP_NAME") or OTP_TOTP_ISSUER
WEBAUTHN_ORIGINS = env_list("WEBAUTHN_ORIGINS", [])
# How long a registration or sign-in challenge stays good (it is single use either way).
WEBAUTHN_CHALLENGE_SECONDS = env_int("WEBAUTHN_CHALLENGE_SECONDS", 300)

# The audit log (docs/adr/0002-audit-trail.md). The Ed25519 signing key never lives in the
# database: by default a file under the data dir, generated on first use (demo, development);
# production points this at a file only the sequencer can read. Its public key sits beside
# it (<file>.pub) unless KETACARE_AUDIT_PUBLIC_KEY_FILE says where the published copy is.
AUDIT_SIGNING_KEY_FILE = Path(
    env_str("AUDIT_SIGNING_KEY_FILE") or DATA_DIR / "audit" / "signing-key.pem"
)
AUDIT_PUBLIC_KEY_FILE = env_str("AUDIT_PUBLIC_KEY_FILE")
# One line per signed checkpoint is appended to checkpoints.jsonl here; ship it to
# write-once storage.
AUDIT_CHECKPOINT_DIR = Path(env_str("AUDIT_CHECKPOINT_DIR") or DATA_DIR / "audit")
AUDIT_SEAL_SECONDS = env_int("AUDIT_SEAL_SECONDS", 2)  # `serve`/`demo` background sequencer
# The Bulk Data export worker `serve`/`demo` start beside themselves (0: none; run
# `ketacare manage bulk_export_run` from cron instead).
BULK_EXPORT_POLL_SECONDS = env_int("BULK_EXPORT_POLL_SECONDS", 5)
# How long a completed export's files are kept for the client to download (then removed).
BULK_EXPORT_KEEP_HOURS = env_int("BULK_EXPORT_KEEP_HOURS", 24)
AUDIT_LOG_ORIGIN = env_str("AUDIT_LOG_ORIGIN", "") or ""  # default: derived from the key

# SMART App Launch (ketacare/smart): django-oauth-toolkit is the OAuth 2.0 authorization
# server of /fhir. PKCE on every authorization (SMART 2 requires S256; the authorization page
# refuses plain), refresh tokens rotated, the consent page shown every time.
SMART_SIGNING_KEY_FILE = Path(
    env_str("SMART_SIGNING_KEY_FILE") or DATA_DIR / "smart" / "oidc-signing-key.pem"
)
# The toolkit's own models (named so migrations can refer to the swappable application).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
SMART_ACCESS_TOKEN_SECONDS = env_int("SMART_ACCESS_TOKEN_SECONDS", 3600)
# SMART Backend Services, access token response: "expires_in ... The recommended value is
# 300, for a five-minute token lifetime" (SMART App Launch 2.2, backend-services.html).
SMART_BACKEND_TOKEN_SECONDS = env_int("SMART_BACKEND_TOKEN_SECONDS", 300)


def smart_access_token_seconds(request) -> int:
    """The lifetime of the access token being issued: a backend (client_credentials) token
    gets the backend lifetime, an app acting for a signed-in user the app lifetime. The
    toolkit calls this per token request (oauthlib's BearerToken accepts a callable)."""
    if getattr(request, "grant_type", None) == "client_credentials":
        return SMART_BACKEND_TOKEN_SECONDS
    return SMART_ACCESS_TOKEN_SECONDS


OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    "OAUTH2_VALIDATOR_CLASS": "ketacare.smart.validators.SmartValidator",
    "SCOPES_BACKEND_CLASS": "ketacare.smart.scopes.SmartScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": smart_access_token_seconds,
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("SMART_REFRESH_TOKEN_DAYS", 30) * 86400,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    # Plain-http redirects (a native app's loopback, RFC 8252) only where the site itself is
    # not behind HTTPS; production (KETACARE_HTTPS=1) takes https redirect URIs only.
    "ALLOWED_REDIRECT_URI_SCHEMES": env_list(
        "SMART_REDIRECT_SCHEMES", ["https"] if env_bool("HTTPS", False) else ["https", "http"]
    ),
    # RFC 9700 (OAuth 2.0 Security BCP), as the toolkit's checks ask: no implicit or password
    # grant, no PKCE plain, tokens only in the Authorization header, `iss` in the authorization
    # response (RFC 9207), tokens stored hashed, a replayed refresh token ends its family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": env_bool("HTTPS", False),
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": "",  # filled below from the key file
}
from ketacare.smart.keys import load_or_create as _smart_key  # noqa: E402

_private_data_dir(DATA_DIR)
OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = _smart_key(SMART_SIGNING_KEY_FILE)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the finders; an existing (possibly empty) root keeps it quiet.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
