"""/healthz and the generated OpenAPI document."""

from __future__ import annotations

import os

import pytest
import redis as redis_lib
from rq import Worker
from rq.serializers import JSONSerializer

from runtime.queue import job_queue, redis_connection
from tests.conftest import require_service


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis (required under CI=true)."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    try:
        redis_lib.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis_lib.RedisError as exc:
        require_service("Redis", str(exc))
    return url


def test_healthz_reports_database_redis_and_workers(app, client, redis_url):
    """With a real Redis and a worker that reported in, every check is ok."""
    app.config["REDIS_URL"] = redis_url
    connection = redis_connection(redis_url)
    worker = Worker([job_queue(connection)], connection=connection, serializer=JSONSerializer)
    worker.register_birth()
    worker.heartbeat()
    try:
        body = client.get("/healthz").json
        assert body["status"] == "ok", body
        assert body["database"]["ok"] and body["redis"]["ok"]
        assert worker.name in [w["name"] for w in body["workers"]["alive"]]
    finally:
        worker.register_death()
    gone = client.get("/healthz").json["workers"]["alive"]
    assert worker.name not in [w["name"] for w in gone]


def test_healthz_degraded_when_redis_is_down(app, client):
    """Redis unreachable delays automation but the web stays up: 200, status degraded."""
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["redis"]["ok"] is False and response.json["database"]["ok"] is True


def test_openapi_document_lists_the_api(client):
    """The OpenAPI 3 document is generated and names the paths integrators rely on."""
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/forms", "/api/v1/forms/{key}/draft", "/api/v1/forms/{key}/publish",
                 "/api/v1/forms/{key}/submissions", "/api/v1/forms/{key}/versions/{number}",
                 "/api/v1/tickets", "/api/v1/tickets/{number}", "/api/v1/attachments"):
        assert path in spec["paths"], path
    assert "bearer" in spec["components"]["securitySchemes"]


def test_api_docs_page_is_served_locally(client):
    """/api/docs works offline: Swagger UI's files come from this server."""
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs-static/swagger-ui-bundle.js" in html
    with client.get("/api/docs-static/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
    assert client.get("/api/v1/nothing-here").mimetype == "application/problem+json"
