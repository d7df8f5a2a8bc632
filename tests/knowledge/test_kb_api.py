"""/api/v1/kb through the Flask client: roles, validation, limits, suggestions."""

from __future__ import annotations

import pytest

from core.people import Role

ARTICLE = {"title": {"en": "Printer jams", "zh-CN": "打印机卡纸"}, "category": "Office",
           "body": {"en": "Open tray **2**.\n\n| a | b |\n|---|---|\n| 1 | 2 |"}}


@pytest.fixture
def agent(as_role):
    return as_role(Role.AGENT)


def _create(client, headers, **overrides):
    response = client.post("/api/v1/kb", json={**ARTICLE, **overrides}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_agent_writes_and_publishes(client, agent):
    """Create (draft) -> update with If-Match -> publish; html is rendered and sanitized."""
    article = _create(client, agent, body={"en": "Hi <script>x</script>"})
    assert article["status"] == "draft" and "<script>" not in article["html"]["en"]
    changed = client.patch(f"/api/v1/kb/{article['id']}", json={"category": "Printers"},
                           headers={**agent, "If-Match": f'"{article["revision"]}"'})
    assert changed.status_code == 200 and changed.get_json()["category"] == "Printers"
    stale = client.patch(f"/api/v1/kb/{article['id']}", json={"category": "X"},
                         headers={**agent, "If-Match": '"1"'})
    assert stale.status_code == 409
    published = client.post(f"/api/v1/kb/{article['id']}/publish", headers=agent)
    assert published.get_json()["status"] == "published"
    assert published.get_json()["published_at"]


def test_requester_reads_published_only_and_cannot_write(client, agent, as_role):
    """A requester sees published articles; drafts are 404; writing is 403."""
    requester = as_role(Role.REQUESTER)
    draft = _create(client, agent, title={"en": "Draft printer notes"})
    live = _create(client, agent)
    client.post(f"/api/v1/kb/{live['id']}/publish", headers=agent)
    listed = client.get("/api/v1/kb?q=printer", headers=requester).get_json()
    assert [a["id"] for a in listed["items"]] == [live["id"]]
    assert client.get(f"/api/v1/kb/{draft['id']}", headers=requester).status_code == 404
    assert client.get(f"/api/v1/kb/{live['id']}", headers=requester).status_code == 200
    assert client.post("/api/v1/kb", json=ARTICLE, headers=requester).status_code == 403
    assert client.post(f"/api/v1/kb/{draft['id']}/publish",
                       headers=requester).status_code == 403
    designer = as_role(Role.DESIGNER)
    assert client.get(f"/api/v1/kb/{draft['id']}", headers=designer).status_code == 200
    assert client.patch(f"/api/v1/kb/{draft['id']}", json={"category": "x"},
                        headers=designer).status_code == 403


def test_anonymous_is_401(client):
    """Without a session or token every KB endpoint answers 401 (problem+json)."""
    for method, path in (("get", "/api/v1/kb"), ("get", "/api/v1/kb/1"),
                         ("get", "/api/v1/kb/suggest?q=vpn"), ("post", "/api/v1/kb")):
        response = getattr(client, method)(path, json={} if method == "post" else None)
        assert response.status_code == 401, path
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("body", [
    {},
    {"title": ""},
    {"title": {"fr": "Bonjour"}},
    {"title": 5},
    {"title": "ok", "body": {"en": 3}},
    {"title": "ok", "category": "x" * 101},
    {"title": "ok", "source_ticket": 0},
    {"title": "x" * 301},
])
def test_bad_input_is_422(client, agent, body):
    """Invalid articles are refused with pointers into the body."""
    response = client.post("/api/v1/kb", json=body, headers=agent)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["pointer"].startswith("/")


def test_malformed_and_oversized_bodies(client, agent):
    """Malformed JSON is 400; a body over the API limit is 413."""
    bad = client.post("/api/v1/kb", data="{nope", headers={**agent,
                                                             "Content-Type": "application/json"})
    assert bad.status_code == 400
    huge = client.post("/api/v1/kb", json={"title": "big", "body": {"en": "x" * 3_000_000}},
                       headers=agent)
    assert huge.status_code == 413
    long_body = client.post("/api/v1/kb", json={"title": "big", "body": {"en": "x" * 100_001}},
                            headers=agent)
    assert long_body.status_code == 422


@pytest.mark.parametrize("query", ['"', "NEAR(", "a AND OR", "*", "%", "'); --", "退款\"*"])
def test_hostile_queries_answer_200(client, agent, query):
    """Search and suggestions take any string."""
    assert client.get("/api/v1/kb", query_string={"q": query}, headers=agent).status_code == 200
    assert client.get("/api/v1/kb/suggest", query_string={"q": query},
                      headers=agent).status_code == 200


def test_bad_list_arguments_are_422(client, agent):
    """Out-of-range paging and unknown states are refused."""
    for qs in ("limit=0", "limit=1000", "offset=-1", "status=gone", "q=" + "x" * 501):
        assert client.get(f"/api/v1/kb?{qs}", headers=agent).status_code == 422, qs


def test_suggest_lists_published_matches_with_links(client, agent, as_role):
    """Suggestions carry a title, an excerpt and the portal link; drafts never appear."""
    live = _create(client, agent)
    _create(client, agent, title={"en": "Printer secrets"})
    client.post(f"/api/v1/kb/{live['id']}/publish", headers=agent)
    found = client.get("/api/v1/kb/suggest?q=my printer keeps jamming",
                       headers=as_role(Role.REQUESTER)).get_json()
    assert [s["id"] for s in found] == [live["id"]]
    assert found[0]["url"] == f"/portal/kb/{live['id']}"
    assert found[0]["title"] == "Printer jams" and "Open tray 2." in found[0]["excerpt"]


def test_article_from_a_ticket_links_back(client, agent, session, make_form, make_user):
    """source_ticket links the article to the ticket whose resolution it records."""
    from runtime.submissions import submit_ticket

    make_form()
    ticket, _ = submit_ticket(session=session, form_key="refund", requester=make_user(), data={
        "category": "question", "description": "Printer?", "email": "a@example.com",
        "confirm": True})
    session.commit()
    article = _create(client, agent, source_ticket=ticket.number)
    assert article["source_ticket"] == ticket.number
    missing = client.post("/api/v1/kb", json={**ARTICLE, "source_ticket": 999_999},
                          headers=agent)
    assert missing.status_code == 404


def test_openapi_documents_the_kb(client):
    """The KB endpoints and schemas appear in the OpenAPI document."""
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/v1/kb" in spec["paths"] and "/api/v1/kb/suggest" in spec["paths"]
    assert "Article" in spec["components"]["schemas"]
