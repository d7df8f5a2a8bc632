"""The forms API as the browser form designer uses it: cookie session + CSRF, If-Match on
drafts, draft_changed in listings, and drafts shaped the way the designer writes them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from core.people import Role
from tests.forms_fixtures import simple_form

PROBLEM = "application/problem+json"
ROW_VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "condition_rows.json").read_text(encoding="utf-8")
)


def _shell_csrf(client: Any, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'data-csrf="([^"]+)"', html)
    assert match, "the builder shell hands the designer no CSRF token"
    return match.group(1)


def test_designer_saves_drafts_with_csrf_and_if_match(client, make_user, login):
    """With a cookie session, a write needs the shell's CSRF token; a stale If-Match is 409."""
    login(make_user(Role.DESIGNER))
    csrf = _shell_csrf(client, "/builder/forms")
    created = client.post("/api/v1/forms", json={"key": "simple", "title": {"en": "Simple"}},
                          headers={"X-CSRFToken": csrf})
    assert created.status_code == 201

    no_token = client.put("/api/v1/forms/simple/draft", json=simple_form())
    assert no_token.status_code in (400, 403) and no_token.mimetype == PROBLEM

    draft = client.get("/api/v1/forms/simple/draft")
    etag = draft.headers["ETag"]
    saved = client.put("/api/v1/forms/simple/draft", json=simple_form(),
                       headers={"X-CSRFToken": csrf, "If-Match": etag})
    assert saved.status_code == 200 and saved.headers["ETag"] != etag

    stale = client.put("/api/v1/forms/simple/draft", json=simple_form(title={"en": "Mine"}),
                       headers={"X-CSRFToken": csrf, "If-Match": etag})
    assert stale.status_code == 409 and stale.mimetype == PROBLEM
    assert client.get("/api/v1/forms/simple/draft").json["title"] != {"en": "Mine"}


def test_draft_changed_tells_unpublished_changes(client, as_role):
    """draft_changed is false until the draft differs from the latest version, then true."""
    designer = as_role(Role.DESIGNER)
    client.post("/api/v1/forms", json={"key": "simple", "title": {"en": "Simple"}},
                headers=designer)
    client.put("/api/v1/forms/simple/draft", json=simple_form(), headers=designer)

    def state() -> tuple[Any, Any]:
        item = client.get("/api/v1/forms/simple", headers=designer).json
        listed = next(f for f in client.get("/api/v1/forms", headers=designer).json
                      if f["key"] == "simple")
        assert listed["draft_changed"] == item["draft_changed"]
        return item["latest_version"], item["draft_changed"]

    assert state() == (None, False)
    client.post("/api/v1/forms/simple/publish", headers=designer)
    assert state() == (1, False)
    client.put("/api/v1/forms/simple/draft", json=simple_form(title={"en": "New title"}),
               headers=designer)
    assert state() == (1, True)
    client.post("/api/v1/forms/simple/publish", headers=designer)
    assert state() == (2, False)


def _designer_definition() -> dict[str, Any]:
    """A draft as the designer writes it: every field type the rows name, and one conditional
    field per condition-row vector (visibleWhen = the fragment the editor writes)."""
    options = [{"value": v, "label": {"en": v}} for v in ("refund", "exchange", "question")]
    fields: list[dict[str, Any]] = [
        {"id": "f1", "key": "category", "type": "select", "label": {"en": "Category"},
         "options": options},
        {"id": "f2", "key": "amount", "type": "number", "label": {"en": "Amount"}},
        {"id": "f3", "key": "summary", "type": "text", "label": {"en": "Summary"}},
        {"id": "f4", "key": "tags", "type": "multiselect", "label": {"en": "Tags"},
         "options": [{"value": v, "label": {"en": v}} for v in ("a", "urgent", "vip")]},
        {"id": "f5", "key": "agree", "type": "checkbox", "label": {"en": "Agree"}},
        {"id": "f6", "key": "rating", "type": "rating", "label": {"en": "Rating"}, "max": 5},
        {"id": "f7", "key": "files", "type": "file", "label": {"en": "Files"}},
    ]
    for index, vector in enumerate(ROW_VECTORS):
        fields.append({"id": f"c{index}", "key": f"extra_{index}", "type": "text",
                       "label": {"en": vector["name"]}, "visibleWhen": vector["condition"],
                       "requiredWhenVisible": True})
    return {"formatVersion": 1, "key": "rows", "title": {"en": "Rows"}, "fields": fields,
            "layout": [{"type": "section", "id": "s1", "title": {"en": "One"},
                        "children": [f["id"] for f in fields[:7]]},
                       {"type": "section", "id": "s2", "children": [f["id"] for f in fields[7:]]}]}


def test_designer_shaped_draft_with_every_row_condition_publishes(client, as_role):
    """Conditions written by the condition editor pass the publish check."""
    designer = as_role(Role.DESIGNER)
    client.post("/api/v1/forms", json={"key": "rows", "title": {"en": "Rows"}}, headers=designer)
    client.put("/api/v1/forms/rows/draft", json=_designer_definition(), headers=designer)
    checked = client.post("/api/v1/forms/rows/validate", headers=designer).json
    assert checked == {"valid": True, "problems": []}
    assert client.post("/api/v1/forms/rows/publish", headers=designer).status_code == 201


def test_publish_problems_point_into_the_definition(client, as_role):
    """Each publish problem's pointer resolves in the draft (the designer maps it to a field)."""
    designer = as_role(Role.DESIGNER)
    client.post("/api/v1/forms", json={"key": "rows", "title": {"en": "Rows"}}, headers=designer)
    definition = _designer_definition()
    definition["fields"][2]["key"] = "Bad Key"
    definition["fields"][8]["visibleWhen"] = {"properties": {"nobody": {"const": 1}},
                                              "required": ["nobody"]}
    client.put("/api/v1/forms/rows/draft", json=definition, headers=designer)
    response = client.post("/api/v1/forms/rows/publish", headers=designer)
    assert response.status_code == 422
    pointers = [error["pointer"] for error in response.json["errors"]]
    assert "/fields/2/key" in pointers
    assert any(p.startswith("/fields/8/visibleWhen") for p in pointers)
    for pointer in pointers:
        node: Any = definition
        for part in pointer.split("/")[1:]:
            node = node[int(part)] if isinstance(node, list) else node[part]
