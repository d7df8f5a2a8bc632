"""Configuration from the environment, with embedded defaults for a first run."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

MiB = 1024 * 1024


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance: Path) -> dict[str, Any]:
    """Build the Flask config from environment variables (see the README's table)."""
    env = os.environ
    instance.mkdir(parents=True, exist_ok=True)
    secure = env.get("DOCKET_SECURE_COOKIES", "false").lower() in {"1", "true", "yes"}
    redis_url = env.get("REDIS_URL") or None
    return {
        "SECRET_KEY": _secret_key(instance),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance / 'docket.db'}",
        "REDIS_URL": redis_url,
        "UPLOAD_ROOT": env.get("UPLOAD_ROOT") or str(instance / "uploads"),
        "WEBHOOK_ALLOWED_HOSTS": env.get("WEBHOOK_ALLOWED_HOSTS", ""),
        "SMTP_URL": env.get("SMTP_URL") or None,
        "MAIL_FROM": env.get("MAIL_FROM", "docket@localhost"),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 30 * MiB)),
        "MAX_FILE_SIZE": int(env.get("MAX_FILE_SIZE", 10 * MiB)),
        # Days after resolution during which a requester may reopen a ticket.
        "REOPEN_DAYS": int(env.get("REOPEN_DAYS", 7)),
        # Without an explicit limit Flask reads any size of form field into memory.
        "MAX_FORM_MEMORY_SIZE": 1 * MiB,
        "MAX_FORM_PARTS": 500,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SECURE_TRANSPORT": secure,
        "WTF_CSRF_TIME_LIMIT": None,
        # The sign-in limit (the ``limits`` library): counted in Redis when there is one.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en", "zh-CN"],
        "API_TITLE": "Docket API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Served from the swagger-ui-bundle package: no CDN, works offline and under our CSP.
        "OPENAPI_SWAGGER_UI_URL": "/api/docs-static/",
        "JSON_SORT_KEYS": False,
    }
