"""The engine factory's per-database settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import make_engine


def test_postgresql_connections_run_without_jit_and_keep_the_urls_options(engine):
    """JIT stays off after a rollback, and options given in the URL still apply."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    url = engine.url.set(query={"options": "-c statement_timeout=5000"})
    tuned = make_engine(url.render_as_string(hide_password=False))
    try:
        with tuned.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            conn.rollback()
            assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "5s"
    finally:
        tuned.dispose()
