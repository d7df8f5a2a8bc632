"""Roles × endpoints: every route of the app, every actor, the outcome each must get.

Every rule of ``app.url_map`` (each method but HEAD and OPTIONS) is classified in ``CALLS``
with what it touches (a ticket of the world, a task, a form, a flow, an article, a file,
admin-only, public, one's own things); ``test_every_route_is_classified`` fails on a route
nobody classified. Each (actor, route, method) cell is its own test, e.g.
``agent_other_team-PATCH-/api/v1/tickets/<int:number>-refused``.

The rules the cells check, one per kind of refusal:

- anonymous: the API answers 401 (problem+json), pages redirect to /login;
- a signed-in user whose role may not use the endpoint at all: 403;
- a ticket (and what hangs on it: its timeline, comments, tasks, files; a task; another
  user's saved view; an unpublished article for requesters) that the user may not see:
  404, the same answer as for a ticket that does not exist, so its existence is not told;
- page actions that only ever touch the actor's own things (mark a notification read,
  delete a saved view, decide a task, bulk changes, rate) answer the usual redirect with
  an error message when aimed at something else: "silent" below, nothing changes.

For every refused or silent write the rows of every table (tickets, events, audit entries,
notifications, outbox ... all but API tokens' last-used time) are compared before and after:
nothing may change. An allowed write marked ``ok+`` must change something, which proves
the request was a real one and its refusal for others is the permission's doing.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from tests.app.test_permission_matrix_world import (  # noqa: F401  (fixtures)
    ACTORS,
    EMAILS,
    SEES,
    Matrix,
    approval_flow,
    cell_fixture,
    changed_tables,
    fingerprint,
    matrix_fixture,
)
from tests.forms_fixtures import PNG, simple_form

SIGNED_IN = frozenset(ACTORS[1:])
REQUESTERS = frozenset({"requester", "requester_cc", "requester_other"})
ADMIN = frozenset({"admin"})
DESIGNERS = frozenset({"designer", "admin"})
AGENTS = frozenset({"agent", "agent_other_team", "admin"})
STAFF = AGENTS | DESIGNERS  # require_roles(AGENT, DESIGNER): the workspace
KB_READERS = STAFF
UPLOAD = "<upload>"


def expect(*, page: bool, roles: frozenset[str] | None = None,
           sees: frozenset[str] | None = None, hidden: str = "404", changes: bool = False,
           anonymous: str | None = None, **overrides: str) -> dict[str, str]:
    """The outcome per actor: role check first (403), then may they see the object."""
    out: dict[str, str] = {}
    for actor in ACTORS:
        if actor == "anonymous":
            out[actor] = anonymous or ("login" if page else "401")
        elif roles is not None and actor not in roles:
            out[actor] = "403"
        elif sees is not None and actor not in sees:
            out[actor] = hidden
        else:
            out[actor] = "ok+" if changes else "ok"
    out.update(overrides)
    return out


def everyone(outcome: str) -> dict[str, str]:
    """The same outcome for every actor (public routes)."""
    return dict.fromkeys(ACTORS, outcome)


@dataclass(frozen=True)
class Call:
    """One request of the matrix: a route's method, a concrete path and body, the outcomes."""

    method: str
    rule: str
    path: str
    expect: dict[str, str]
    body: Any = None
    variant: str = ""
    page: bool = False
    fresh_client: bool = False
    query: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The route as the test id shows it."""
        return self.rule + (f"[{self.variant}]" if self.variant else "")


def api(method: str, rule: str, path: str, body: Any = None, variant: str = "",
        **kwargs: Any) -> Call:
    """An API call (bearer token)."""
    return Call(method, rule, path, expect(page=False, **kwargs), body, variant)


def page(method: str, rule: str, path: str, body: Any = None, variant: str = "",
         **kwargs: Any) -> Call:
    """A page (the actor's signed-in browser, with its CSRF token on POST)."""
    return Call(method, rule, path, expect(page=True, **kwargs), body, variant, page=True)


T = "/api/v1/tickets/<int:number>"
F = "/api/v1/forms/<key>"
FL = "/api/v1/flows/<key>"
TASK = "/api/v1/tasks/<int:task_id>"
KB = "/api/v1/kb/<int:article_id>"
WT = "/workspace/tickets/<int:number>"
WKB = "/workspace/kb/<int:article_id>"
PT = "/portal/tickets/<int:number>"
TASK_SEES = frozenset({"agent", "admin"})  # the holder, and admins
NOTE_SEES = frozenset({"agent", "admin"})  # staff who may see t_support


def _flow_draft() -> dict[str, Any]:
    draft = approval_flow()
    draft["nodes"][0]["position"] = {"x": 5, "y": 5}
    return draft


CALLS: list[Call] = [
    # --- public --------------------------------------------------------------------------
    Call("GET", "/", "/", {**everyone("ok"), "anonymous": "login"}, page=True),
    Call("GET", "/lang/<code>", "/lang/zh-CN", everyone("ok"), page=True),
    Call("GET", "/login", "/login", everyone("ok"), page=True),
    Call("POST", "/login", "/login", everyone("401"),
         {"email": "nobody@example.com", "password": "wrong password"}, page=True),
    Call("POST", "/logout", "/logout", everyone("login"), page=True, fresh_client=True),
    Call("GET", "/healthz", "/healthz", everyone("any")),
    Call("GET", "/api/openapi.json", "/api/openapi.json", everyone("ok")),
    Call("GET", "/api/docs", "/api/docs", everyone("ok")),
    Call("GET", "/api/docs-static/<path:filename>", "/api/docs-static/swagger-ui.css",
         everyone("ok")),
    Call("GET", "/static/<path:filename>", "/static/docket.css", everyone("ok")),
    # --- attachments ---------------------------------------------------------------------
    api("POST", "/api/v1/attachments", "/api/v1/attachments", UPLOAD, changes=True),
    api("GET", "/api/v1/attachments/<attachment_id>", "/api/v1/attachments/{file_photo}",
        variant="submission file", sees=SEES["t_support"]),
    api("GET", "/api/v1/attachments/<attachment_id>", "/api/v1/attachments/{file_reply}",
        variant="reply file", sees=SEES["t_support"]),
    api("GET", "/api/v1/attachments/<attachment_id>", "/api/v1/attachments/{file_note}",
        variant="internal note file", sees=NOTE_SEES),
    api("GET", "/api/v1/attachments/<attachment_id>", "/api/v1/attachments/{file_loose}",
        variant="unbound upload", sees=frozenset({"requester_other"})),
    # --- people, teams, incidents ----------------------------------------------------------
    api("GET", "/api/v1/directory", "/api/v1/directory", roles=DESIGNERS),
    api("GET", "/api/v1/users", "/api/v1/users", roles=ADMIN),
    api("POST", "/api/v1/users", "/api/v1/users", {"email": "new@example.com", "name": "New",
                                                   "role": "requester"},
        roles=ADMIN, changes=True),
    api("GET", "/api/v1/teams", "/api/v1/teams", roles=ADMIN),
    api("POST", "/api/v1/teams", "/api/v1/teams", {"key": "new-team", "name": "New"},
        roles=ADMIN, changes=True),
    api("GET", "/api/v1/incidents", "/api/v1/incidents", roles=ADMIN),
    # --- ticket statuses: staff read, admins change ------------------------------------
    api("GET", "/api/v1/statuses", "/api/v1/statuses", roles=STAFF),
    api("POST", "/api/v1/statuses", "/api/v1/statuses",
        {"key": "matrix_status", "category": "open", "label": {"en": "Matrix"}},
        roles=ADMIN, changes=True),
    api("GET", "/api/v1/statuses/<key>", "/api/v1/statuses/open", roles=STAFF),
    api("PATCH", "/api/v1/statuses/<key>", "/api/v1/statuses/open",
        {"label": {"en": "Opened"}}, roles=ADMIN, changes=True),
    api("POST", "/api/v1/incidents/<int:incident_id>/retry",
        "/api/v1/incidents/{incident}/retry", roles=ADMIN, changes=True),
    # --- forms ---------------------------------------------------------------------------
    api("GET", "/api/v1/forms", "/api/v1/forms", roles=SIGNED_IN),
    api("POST", "/api/v1/forms", "/api/v1/forms", {"key": "new-form", "title": {"en": "N"}},
        roles=DESIGNERS, changes=True),
    api("GET", "/api/v1/forms", "/api/v1/forms?usage=true", variant="usage",
        roles=DESIGNERS),
    api("GET", F, "/api/v1/forms/simple"),
    api("POST", F + "/duplicate", "/api/v1/forms/simple/duplicate",
        {"key": "simple-copy", "title": {"en": "Copy"}}, roles=DESIGNERS, changes=True),
    api("POST", F + "/preview", "/api/v1/forms/sketch/preview", simple_form(key="sketch"),
        roles=DESIGNERS),
    api("GET", F, "/api/v1/forms/sketch", variant="never published", sees=DESIGNERS),
    api("PATCH", F, "/api/v1/forms/simple", {"title": {"en": "Renamed"}}, roles=DESIGNERS,
        changes=True),
    api("DELETE", F, "/api/v1/forms/simple", roles=DESIGNERS, changes=True),
    api("GET", F + "/draft", "/api/v1/forms/sketch/draft", roles=DESIGNERS),
    api("PUT", F + "/draft", "/api/v1/forms/sketch/draft",
        simple_form(key="sketch", title={"en": "Sketch 2"}), roles=DESIGNERS, changes=True),
    api("POST", F + "/validate", "/api/v1/forms/sketch/validate", roles=DESIGNERS),
    api("POST", F + "/publish", "/api/v1/forms/sketch/publish", roles=DESIGNERS,
        changes=True),
    api("GET", F + "/versions", "/api/v1/forms/simple/versions"),
    api("GET", F + "/versions/<int:number>", "/api/v1/forms/simple/versions/1"),
    api("GET", F + "/export", "/api/v1/forms/simple/export", roles=DESIGNERS),
    api("POST", "/api/v1/forms/import", "/api/v1/forms/import",
        {"kind": "docket.form", "key": "imported", "title": {"en": "I"},
         "definition": simple_form(key="imported")}, roles=DESIGNERS, changes=True),
    api("POST", F + "/submissions", "/api/v1/forms/simple/submissions",
        {"data": {"category": "question", "summary": "By API"}}, changes=True),
    api("POST", F + "/submissions", "/api/v1/forms/old/submissions",
        {"data": {"category": "question", "summary": "By API"}}, variant="archived form",
        sees=frozenset()),
    api("POST", F + "/submissions", "/api/v1/forms/sketch/submissions",
        {"data": {"category": "question", "summary": "By API"}}, variant="never published",
        sees=frozenset()),
    # --- flows ---------------------------------------------------------------------------
    api("GET", "/api/v1/flows", "/api/v1/flows", roles=DESIGNERS),
    api("POST", "/api/v1/flows", "/api/v1/flows", {"key": "new-flow", "title": {"en": "N"}},
        roles=DESIGNERS, changes=True),
    api("GET", FL, "/api/v1/flows/approve-flow", roles=DESIGNERS),
    api("PATCH", FL, "/api/v1/flows/approve-flow", {"title": {"en": "Renamed"}},
        roles=DESIGNERS, changes=True),
    api("DELETE", FL, "/api/v1/flows/approve-flow", roles=DESIGNERS, changes=True),
    api("GET", FL + "/draft", "/api/v1/flows/approve-flow/draft", roles=DESIGNERS),
    api("PUT", FL + "/draft", "/api/v1/flows/approve-flow/draft", _flow_draft(),
        roles=DESIGNERS, changes=True),
    api("POST", FL + "/duplicate", "/api/v1/flows/approve-flow/duplicate",
        {"key": "approve-copy", "title": {"en": "Copy"}}, roles=DESIGNERS, changes=True),
    api("GET", FL + "/export", "/api/v1/flows/approve-flow/export", roles=DESIGNERS),
    api("POST", FL + "/publish", "/api/v1/flows/approve-flow/publish", roles=DESIGNERS),
    api("POST", FL + "/simulate", "/api/v1/flows/approve-flow/simulate",
        {"data": {"category": "question", "summary": "Try"}}, roles=DESIGNERS),
    api("POST", FL + "/validate", "/api/v1/flows/approve-flow/validate", roles=DESIGNERS),
    api("GET", FL + "/versions", "/api/v1/flows/approve-flow/versions", roles=DESIGNERS),
    api("GET", FL + "/versions/<int:number>", "/api/v1/flows/approve-flow/versions/1",
        roles=DESIGNERS),
    api("POST", "/api/v1/flows/import", "/api/v1/flows/import",
        {"kind": "docket.flow", "key": "imported-flow", "title": {"en": "I"},
         "definition": approval_flow()}, roles=DESIGNERS, changes=True),
    # --- knowledge base ------------------------------------------------------------------
    api("GET", "/api/v1/kb", "/api/v1/kb"),
    api("POST", "/api/v1/kb", "/api/v1/kb", {"title": {"en": "New"}}, roles=AGENTS,
        changes=True),
    api("POST", "/api/v1/kb", "/api/v1/kb", {"title": {"en": "New"}, "source_ticket":
                                             "{t_billing}"},
        variant="from another team's ticket", roles=AGENTS, sees=SEES["t_billing"],
        changes=True),
    api("GET", "/api/v1/kb/suggest", "/api/v1/kb/suggest?q=printer"),
    api("GET", KB, "/api/v1/kb/{article}"),
    api("GET", KB, "/api/v1/kb/{draft_article}", variant="draft", sees=KB_READERS),
    api("PATCH", KB, "/api/v1/kb/{article}", {"title": {"en": "Renamed"}}, roles=AGENTS,
        changes=True),
    api("POST", KB + "/publish", "/api/v1/kb/{draft_article}/publish", roles=AGENTS,
        changes=True),
    api("POST", KB + "/unpublish", "/api/v1/kb/{article}/unpublish", roles=AGENTS,
        changes=True),
    # --- tasks ---------------------------------------------------------------------------
    api("GET", "/api/v1/tasks", "/api/v1/tasks", roles=STAFF),
    api("GET", TASK, "/api/v1/tasks/{task}", roles=STAFF, sees=TASK_SEES),
    api("POST", TASK + "/decision", "/api/v1/tasks/{task}/decision", {"decision": "approve"},
        roles=STAFF, sees=TASK_SEES, changes=True),
    api("POST", TASK + "/delegate", "/api/v1/tasks/{task}/delegate",
        {"to": EMAILS["colleague"]}, roles=STAFF, sees=TASK_SEES, changes=True),
    api("POST", TASK + "/transfer", "/api/v1/tasks/{task}/transfer",
        {"to": EMAILS["colleague"]}, roles=STAFF, sees=TASK_SEES, changes=True),
    api("GET", T + "/tasks", "/api/v1/tickets/{t_task}/tasks", sees=SEES["t_task"]),
    # --- tickets -------------------------------------------------------------------------
    api("GET", "/api/v1/tickets", "/api/v1/tickets"),
    api("GET", T, "/api/v1/tickets/{t_support}", sees=SEES["t_support"]),
    api("GET", T, "/api/v1/tickets/{t_billing}", variant="other team",
        sees=SEES["t_billing"]),
    api("GET", T, "/api/v1/tickets/{t_unassigned}", variant="no team",
        sees=SEES["t_unassigned"]),
    api("PATCH", T, "/api/v1/tickets/{t_support}", {"priority": "high"}, roles=AGENTS,
        sees=SEES["t_support"], changes=True),
    api("GET", T + "/events", "/api/v1/tickets/{t_support}/events", sees=SEES["t_support"]),
    api("GET", T + "/comments", "/api/v1/tickets/{t_support}/comments",
        sees=SEES["t_support"]),
    api("POST", T + "/comments", "/api/v1/tickets/{t_support}/comments", {"body": "Hello"},
        sees=SEES["t_support"], changes=True),
    api("POST", T + "/comments", "/api/v1/tickets/{t_support}/comments",
        {"body": "Note", "internal": True}, variant="internal note", sees=SEES["t_support"],
        changes=True, requester="403", requester_cc="403"),
    # --- admin pages ---------------------------------------------------------------------
    page("GET", "/admin/audit", "/admin/audit", roles=ADMIN),
    page("GET", "/admin/audit/export.csv", "/admin/audit/export.csv", roles=ADMIN),
    page("GET", "/admin/incidents", "/admin/incidents", roles=ADMIN),
    page("GET", "/admin/statuses", "/admin/statuses", roles=ADMIN),
    page("POST", "/admin/statuses", "/admin/statuses",
         {"key": "matrix_status", "category": "open", "label_en": "Matrix"},
         roles=ADMIN, changes=True),
    page("POST", "/admin/statuses/<key>", "/admin/statuses/open",
         {"action": "save", "label_en": "Opened", "label_zh": "已打开"}, roles=ADMIN,
         changes=True),
    page("POST", "/admin/incidents/<int:incident_id>/retry",
         "/admin/incidents/{incident}/retry", roles=ADMIN, changes=True),
    # --- builder pages -------------------------------------------------------------------
    page("GET", "/builder/forms", "/builder/forms", roles=DESIGNERS),
    page("GET", "/builder/forms/<key>", "/builder/forms/simple", roles=DESIGNERS),
    page("GET", "/builder/flows", "/builder/flows", roles=DESIGNERS),
    page("GET", "/builder/flows/<key>", "/builder/flows/approve-flow", roles=DESIGNERS),
    # --- notifications (one's own) -------------------------------------------------------
    page("GET", "/notifications", "/notifications"),
    page("GET", "/notifications/<int:note_id>", "/notifications/{note_agent}",
         sees=frozenset({"agent"}), hidden="silent", changes=True),
    page("POST", "/notifications/read", "/notifications/read", {"id": "{note_agent}"},
         sees=frozenset({"agent"}), hidden="silent", changes=True),
    page("GET", "/notifications/preferences", "/notifications/preferences"),
    page("POST", "/notifications/preferences", "/notifications/preferences",
         {"email": ["assigned", "mentioned", "approval", "reply", "sla_warning"]}),
    # --- portal --------------------------------------------------------------------------
    page("GET", "/portal", "/portal"),
    page("GET", "/portal/forms/<key>", "/portal/forms/simple"),
    page("GET", "/portal/forms/<key>", "/portal/forms/old", variant="archived form",
         sees=frozenset()),
    page("POST", "/portal/forms/<key>", "/portal/forms/simple",
         {"category": "question", "summary": "From the portal"}, changes=True),
    page("POST", "/portal/forms/<key>", "/portal/forms/old",
         {"category": "question", "summary": "From the portal"}, variant="archived form",
         sees=frozenset()),
    page("GET", "/portal/kb", "/portal/kb"),
    page("GET", "/portal/kb/<int:article_id>", "/portal/kb/{article}"),
    page("GET", "/portal/kb/<int:article_id>", "/portal/kb/{draft_article}", variant="draft",
         sees=KB_READERS),
    page("GET", "/portal/tickets", "/portal/tickets"),
    page("GET", PT, "/portal/tickets/{t_support}", sees=SEES["t_support"]),
    page("GET", PT, "/portal/tickets/{t_billing}", variant="other team",
         sees=SEES["t_billing"]),
    page("POST", PT + "/reply", "/portal/tickets/{t_support}/reply", {"body": "Thanks"},
         sees=SEES["t_support"], changes=True),
    page("POST", PT + "/rating", "/portal/tickets/{t_resolved}/rating", {"score": "5"},
         sees=SEES["t_resolved"], changes=True, agent="silent", admin="silent"),
    page("POST", PT + "/reopen", "/portal/tickets/{t_resolved}/reopen", {"reason": "Again"},
         sees=SEES["t_resolved"], changes=True),
    # --- workspace: queues, views, bulk ----------------------------------------------------
    page("GET", "/workspace", "/workspace", roles=STAFF),
    page("GET", "/workspace/counts", "/workspace/counts", roles=STAFF),
    page("POST", "/workspace/bulk", "/workspace/bulk",
         {"tickets": "{t_billing}", "priority": "urgent"}, roles=STAFF,
         sees=SEES["t_billing"], hidden="silent", changes=True),
    page("POST", "/workspace/views", "/workspace/views",
         {"name": "Everything", "back_query": "queue=all"}, roles=STAFF, changes=True),
    page("GET", "/workspace/views/<int:view_id>", "/workspace/views/{view}", roles=STAFF,
         sees=frozenset({"agent"})),
    page("POST", "/workspace/views/<int:view_id>/delete", "/workspace/views/{view}/delete",
         roles=STAFF, sees=frozenset({"agent"}), hidden="silent", changes=True),
    # --- workspace: tasks ----------------------------------------------------------------
    page("GET", "/workspace/tasks", "/workspace/tasks", roles=STAFF),
    page("POST", "/workspace/tasks/<int:task_id>/decision", "/workspace/tasks/{task}/decision",
         {"decision": "approve"}, roles=STAFF, sees=TASK_SEES, hidden="silent", changes=True),
    page("POST", "/workspace/tasks/<int:task_id>/delegate", "/workspace/tasks/{task}/delegate",
         {"to": EMAILS["colleague"]}, roles=STAFF, sees=TASK_SEES, hidden="silent",
         changes=True),
    page("POST", "/workspace/tasks/<int:task_id>/transfer", "/workspace/tasks/{task}/transfer",
         {"to": EMAILS["colleague"]}, roles=STAFF, sees=TASK_SEES, hidden="silent",
         changes=True),
    # --- workspace: the staff ticket page and its actions ----------------------------------
    page("GET", WT, "/workspace/tickets/{t_support}", roles=STAFF, sees=SEES["t_support"]),
    page("GET", WT, "/workspace/tickets/{t_task}", variant="approval held",
         roles=STAFF, sees=SEES["t_task"]),
    page("POST", WT + "/update", "/workspace/tickets/{t_support}/update",
         {"priority": "high"}, roles=AGENTS, sees=SEES["t_support"], changes=True),
    page("POST", WT + "/take", "/workspace/tickets/{t_support}/take", roles=AGENTS,
         sees=SEES["t_support"], changes=True, agent="ok"),  # ann holds it already
    page("POST", WT + "/comments", "/workspace/tickets/{t_support}/comments",
         {"body": "Reply", "visibility": "public"}, roles=STAFF, sees=SEES["t_support"],
         changes=True),
    page("POST", WT + "/watchers", "/workspace/tickets/{t_support}/watchers",
         {"email": EMAILS["colleague"]}, roles=STAFF, sees=SEES["t_support"], changes=True),
    page("POST", WT + "/watchers/remove", "/workspace/tickets/{t_support}/watchers/remove",
         {"email": EMAILS["requester_cc"]}, roles=STAFF, sees=SEES["t_support"],
         changes=True),
    page("POST", WT + "/links", "/workspace/tickets/{t_support}/links",
         {"other": "{t_resolved}"}, roles=STAFF, sees=SEES["t_support"], changes=True),
    page("POST", WT + "/links", "/workspace/tickets/{t_support}/links",
         {"other": "{t_billing}"}, variant="to another team's ticket", roles=STAFF,
         sees=SEES["t_support"] & SEES["t_billing"], changes=True),
    page("POST", WT + "/links/remove", "/workspace/tickets/{t_support}/links/remove",
         {"other": "{t_unassigned}"}, roles=STAFF, sees=SEES["t_support"], changes=True),
    page("POST", WT + "/merge", "/workspace/tickets/{t_support}/merge",
         {"into": "{t_resolved}"}, roles=AGENTS, sees=SEES["t_support"], changes=True),
    page("POST", WT + "/merge", "/workspace/tickets/{t_support}/merge",
         {"into": "{t_billing}"}, variant="into another team's ticket", roles=AGENTS,
         sees=SEES["t_support"], changes=True, agent="silent"),  # "no ticket" flash
    # --- workspace: knowledge base -------------------------------------------------------
    page("GET", "/workspace/kb", "/workspace/kb", roles=STAFF),
    page("GET", WKB, "/workspace/kb/{draft_article}", roles=STAFF),
    page("GET", WKB + "/edit", "/workspace/kb/{article}/edit", roles=AGENTS),
    page("POST", WKB + "/edit", "/workspace/kb/{article}/edit",
         {"title_en": "Renamed", "body_en": "Open the tray gently."}, roles=AGENTS,
         changes=True),
    page("POST", WKB + "/publish", "/workspace/kb/{draft_article}/publish", roles=AGENTS,
         changes=True),
    page("GET", "/workspace/kb/new", "/workspace/kb/new", roles=AGENTS),
    page("GET", "/workspace/kb/new", "/workspace/kb/new?ticket={t_billing}",
         variant="from another team's ticket", roles=AGENTS, sees=SEES["t_billing"]),
    page("POST", "/workspace/kb/new", "/workspace/kb/new",
         {"title_en": "Paper jams", "body_en": "Open the tray."}, roles=AGENTS, changes=True),
    page("POST", "/workspace/kb/new", "/workspace/kb/new?ticket={t_billing}",
         {"title_en": "Paper jams", "body_en": "Open the tray."},
         variant="from another team's ticket", roles=AGENTS, sees=SEES["t_billing"],
         changes=True),
]


def _fill(value: Any, values: dict[str, Any]) -> Any:
    """Put the world's numbers and ids into a path or body template ("{t_support}")."""
    if isinstance(value, str):
        whole = re.fullmatch(r"\{([a-z_]+)\}", value)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return re.sub(r"\{([a-z_]+)\}", lambda m: str(values.get(m.group(1), m.group(0))),
                      value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def _send(m: Matrix, call: Call, actor: str) -> Any:
    values = m.world.values()
    path = _fill(call.path, values)
    body = _fill(call.body, values)
    if call.page:
        client = m.browsers[actor]
        if call.fresh_client:
            client = m.app.test_client()
            if actor != "anonymous":
                from tests.conftest import PASSWORD, csrf_token
                client.post("/login", data={"email": EMAILS[actor], "password": PASSWORD,
                                            "csrf_token": csrf_token(client)})
        if call.method == "GET":
            return client.get(path)
        token = m.csrf[actor]
        if call.fresh_client:
            from tests.conftest import csrf_token
            token = csrf_token(client)
        data = {k: (v if isinstance(v, list) else str(v)) for k, v in (body or {}).items()}
        return client.open(path, method=call.method, data={**data, "csrf_token": token})
    client = m.api()
    if body == UPLOAD:
        return client.post(path, headers=m.headers(actor),
                           data={"file": (io.BytesIO(PNG), "cell.png")})
    return client.open(path, method=call.method, headers=m.headers(actor),
                       json=body if call.method != "GET" else None)


def _check(status: int, location: str, outcome: str, describe: str) -> None:
    to_login = status in (301, 302, 303) and location.startswith(("/login", "http://localhost/login"))
    if outcome == "login":
        assert to_login, f"{describe}: expected a redirect to /login, got {status} {location}"
    elif outcome in ("ok", "ok+", "silent"):
        assert status < 400 and not to_login, f"{describe}: expected 2xx/3xx, got {status}"
    elif outcome == "any":
        assert status not in (401, 403) and not to_login, f"{describe}: got {status}"
    else:
        assert status == int(outcome), f"{describe}: expected {outcome}, got {status}"


def _cases() -> list[Any]:
    cases = []
    for call in CALLS:
        for actor in ACTORS:
            outcome = call.expect[actor]
            verdict = "allowed" if outcome in ("ok", "ok+", "any") else "refused"
            cases.append(pytest.param(call, actor, id=f"{actor}-{call.method}-{call.name}-"
                                                      f"{verdict}"))
    return cases


@pytest.mark.parametrize(("call", "actor"), _cases())
def test_permission_cell(cell: Matrix, call: Call, actor: str) -> None:
    """The actor gets the outcome the matrix states; refused writes change nothing, allowed
    writes marked ok+ change something."""
    outcome = call.expect[actor]
    watch = outcome == "ok+" or (outcome not in ("ok", "any") and (
        call.method != "GET" or outcome == "silent"))
    response = _send(cell, call, actor)
    describe = f"{actor} {call.method} {call.path}"
    detail = response.get_data()[:300].decode(errors="replace")
    response.close()  # ends a streamed response's request before the savepoint goes
    _check(response.status_code, response.headers.get("Location", ""), outcome,
           f"{describe} ({detail!r})")
    if call.page is False and outcome in ("401", "403", "404"):
        assert response.mimetype == "application/problem+json", describe
    if not watch:
        return
    changed = changed_tables(cell.baseline, fingerprint(cell.conn))
    if outcome == "ok+":
        assert changed, f"{describe}: allowed, but nothing changed ({detail!r})"
    elif outcome not in ("ok", "any"):
        assert not changed, f"{describe}: refused, yet {changed} changed"


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def test_every_route_is_classified(matrix: Matrix) -> None:
    """Every route and method of the app is in CALLS, and CALLS names no route that is gone."""
    routes = _routes(matrix.app)
    classified = {(call.rule, call.method) for call in CALLS}
    missing = sorted(routes - classified)
    assert not missing, (
        "These routes are not in the permission matrix: add each to CALLS in "
        f"tests/app/test_permission_matrix.py with who may use it: {missing}")
    stale = sorted(classified - routes)
    assert not stale, f"CALLS names routes the app no longer has: {stale}"
