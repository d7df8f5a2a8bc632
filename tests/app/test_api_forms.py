"""The forms API: create, drafts, validation, publishing, versions, import/export, errors."""

from __future__ import annotations

from typing import Any

from core.people import Role
from tests.forms_fixtures import simple_form

PROBLEM = "application/problem+json"


def _create(client: Any, headers: dict[str, str], key: str = "simple") -> Any:
    return client.post("/api/v1/forms", json={"key": key, "title": {"en": "Simple"}},
                       headers=headers)


def test_forms_create_publish_and_read_versions(client, as_role):
    """A designer creates a form, saves a draft, publishes v1, then v2; v1 never changes."""
    designer = as_role(Role.DESIGNER)
    assert _create(client, designer).status_code == 201
    assert client.put("/api/v1/forms/simple/draft", json=simple_form(),
                      headers=designer).status_code == 200
    first = client.post("/api/v1/forms/simple/publish", headers=designer)
    assert first.status_code == 201
    assert first.json["number"] == 1
    assert first.json["schema"]["$schema"].endswith("2020-12/schema")

    again = client.post("/api/v1/forms/simple/publish", headers=designer)
    assert again.status_code == 200 and again.json["number"] == 1

    changed = simple_form(title={"en": "Changed"})
    client.put("/api/v1/forms/simple/draft", json=changed, headers=designer)
    second = client.post("/api/v1/forms/simple/publish", headers=designer)
    assert second.status_code == 201 and second.json["number"] == 2

    v1 = client.get("/api/v1/forms/simple/versions/1", headers=designer).json
    assert v1["definition"]["title"] == {"en": "Simple request", "zh-CN": "简单请求"}
    assert v1["hash"] != second.json["hash"]
    listed = client.get("/api/v1/forms/simple/versions", headers=designer).json
    assert [v["number"] for v in listed] == [1, 2]
    assert client.get("/api/v1/forms/simple", headers=designer).json["latest_version"] == 2


def test_forms_draft_saves_incomplete_and_publish_lists_every_problem(client, as_role):
    """An incomplete draft saves; publishing it is 422 with every problem and a pointer each."""
    designer = as_role(Role.DESIGNER)
    _create(client, designer)
    broken = simple_form()
    broken["fields"][0]["key"] = "Bad Key"
    broken["fields"][1]["validate"]["pattern"] = "([unclosed"
    broken["fields"][3]["key"] = "category"
    assert client.put("/api/v1/forms/simple/draft", json=broken,
                      headers=designer).status_code == 200

    checked = client.post("/api/v1/forms/simple/validate", headers=designer).json
    assert checked["valid"] is False

    response = client.post("/api/v1/forms/simple/publish", headers=designer)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    pointers = {e["pointer"] for e in response.json["errors"]}
    assert "/fields/0/key" in pointers
    assert any(p.startswith("/fields/1/validate/pattern") for p in pointers)
    assert len(response.json["errors"]) >= 2
    assert all(e["message"] for e in response.json["errors"])
    assert client.get("/api/v1/forms/simple/versions", headers=designer).json == []


def test_forms_hostile_drafts_give_422_never_500(client, as_role):
    """Garbage of every shape is saved or refused with 4xx, and never crashes publish."""
    designer = as_role(Role.DESIGNER)
    _create(client, designer)
    deep: Any = {"x": 1}
    for _ in range(200):
        deep = {"allOf": [deep]}
    hostile = [
        {"fields": "not a list"},
        {"fields": [None, 1, "x", {"type": "nope"}, {"id": [], "key": {}, "type": "text"}]},
        {"fields": [{"id": "a", "key": "a", "type": "text", "label": "A", "visibleWhen": deep}]},
        {"formatVersion": "one", "layout": [{"children": 5}], "title": None},
        {"fields": [{"id": "a", "key": "a" * 5000, "type": "select", "options": [{}] * 3}]},
    ]
    for draft in hostile:
        assert client.put("/api/v1/forms/simple/draft", json=draft,
                          headers=designer).status_code == 200
        response = client.post("/api/v1/forms/simple/publish", headers=designer)
        assert response.status_code == 422, draft
        assert response.json["errors"]
    not_an_object = client.put("/api/v1/forms/simple/draft", json=[1, 2], headers=designer)
    assert not_an_object.status_code == 422


def test_forms_malformed_json_is_400(client, as_role):
    """A body that is not JSON is 400 with a problem document."""
    designer = as_role(Role.DESIGNER)
    response = client.post("/api/v1/forms", data="{not json",
                           headers={**designer, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == PROBLEM
    assert "JSON" in response.json["detail"]


def test_forms_create_rejects_bad_input(client, as_role):
    """Missing title, a bad key and a duplicate key each get a clear 4xx."""
    designer = as_role(Role.DESIGNER)
    missing = client.post("/api/v1/forms", json={"key": "x"}, headers=designer)
    assert missing.status_code == 422
    assert {e["pointer"] for e in missing.json["errors"]} == {"/title"}
    bad = client.post("/api/v1/forms", json={"key": "Not A Key!", "title": "T"},
                      headers=designer)
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "/key"
    assert _create(client, designer).status_code == 201
    assert _create(client, designer).status_code == 409


def test_forms_unknown_form_is_404(client, as_role):
    """Unknown forms and versions are 404 problems."""
    designer = as_role(Role.DESIGNER)
    assert client.get("/api/v1/forms/nope", headers=designer).status_code == 404
    _create(client, designer)
    response = client.get("/api/v1/forms/simple/versions/9", headers=designer)
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_forms_require_login_and_the_designer_role(client, as_role):
    """No credentials: 401 with a Bearer challenge; a requester may not design: 403."""
    anonymous = client.post("/api/v1/forms", json={"key": "a", "title": "A"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    bad_token = client.get("/api/v1/forms", headers={"Authorization": "Bearer dkt_nope"})
    assert bad_token.status_code == 401
    requester = as_role(Role.REQUESTER)
    assert client.post("/api/v1/forms", json={"key": "a", "title": "A"},
                       headers=requester).status_code == 403
    _create(client, as_role(Role.DESIGNER))
    assert client.get("/api/v1/forms/simple/draft", headers=requester).status_code == 403
    assert client.put("/api/v1/forms/simple/draft", json={},
                      headers=as_role(Role.AGENT)).status_code == 403


def test_forms_stale_if_match_is_409(client, as_role):
    """Two designers editing one draft: the one with an old ETag gets 409, nothing lost."""
    designer = as_role(Role.DESIGNER)
    _create(client, designer)
    etag = client.get("/api/v1/forms/simple/draft", headers=designer).headers["ETag"]
    first = client.put("/api/v1/forms/simple/draft", json=simple_form(),
                       headers={**designer, "If-Match": etag})
    assert first.status_code == 200
    second = client.put("/api/v1/forms/simple/draft", json={"fields": []},
                        headers={**designer, "If-Match": etag})
    assert second.status_code == 409
    draft = client.get("/api/v1/forms/simple/draft", headers=designer).json
    assert len(draft["fields"]) == 5


def test_forms_export_then_import(client, as_role):
    """An export imports as a new form; importing over an existing key needs replace=true."""
    designer = as_role(Role.DESIGNER)
    _create(client, designer)
    client.put("/api/v1/forms/simple/draft", json=simple_form(), headers=designer)
    exported = client.get("/api/v1/forms/simple/export", headers=designer)
    assert exported.status_code == 200
    document = exported.json
    assert client.post("/api/v1/forms/import", json=document,
                       headers=designer).status_code == 409
    replaced = client.post("/api/v1/forms/import?replace=true", json=document, headers=designer)
    assert replaced.status_code == 201
    copy = {**document, "key": "simple-copy"}
    created = client.post("/api/v1/forms/import", json=copy, headers=designer)
    assert created.status_code == 201 and created.json["key"] == "simple-copy"
    assert client.post("/api/v1/forms/simple-copy/publish", headers=designer).status_code == 201
    wrong = client.post("/api/v1/forms/import", json={"kind": "other"}, headers=designer)
    assert wrong.status_code == 422


def test_forms_archive_hides_from_submissions(client, as_role, make_form):
    """An archived form takes no new submissions."""
    make_form(simple_form())
    designer = as_role(Role.DESIGNER)
    assert client.delete("/api/v1/forms/simple", headers=designer).json["archived"] is True
    response = client.post("/api/v1/forms/simple/submissions",
                           json={"data": {"category": "question", "summary": "x"}},
                           headers=as_role(Role.REQUESTER))
    assert response.status_code == 404


def test_forms_oversized_body_is_413(client, as_role):
    """A JSON body over the limit is refused with 413 before it is parsed."""
    designer = as_role(Role.DESIGNER)
    _create(client, designer)
    huge = {"fields": [], "padding": "x" * (3 * 1024 * 1024)}
    response = client.put("/api/v1/forms/simple/draft", json=huge, headers=designer)
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
