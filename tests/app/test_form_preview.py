"""The designer's preview: POST a draft, get it drawn by the portal's own templates.

One renderer for preview and requesters: the same field macros, the same section order and
the same live-form script; the preview can send nothing and escapes designer texts; broken
drafts render what can be drawn plus the problems; only designers may ask.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.forms.preview import renderable
from core.people import Role
from tests.forms_fixtures import simple_form

PREVIEW = "/api/v1/forms/simple/preview"
PROBLEM = "application/problem+json"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _sections(html: str) -> list[str]:
    """The drawn sections of a form page, whitespace-normalised."""
    start = html.index('id="docket-form"')
    form = html[start:html.index('</form>', start)]
    found = re.findall(r'<section class="form-section".*?</section>', form, re.S)
    return [re.sub(r"\s+", " ", part) for part in found]


def test_preview_draws_like_the_portal(client, make_user, login, make_form, bearer):
    """The same definition comes out field for field as the requester's published form."""
    make_form(simple_form(), key="simple")
    login(make_user(Role.DESIGNER))
    portal = client.get("/portal/forms/simple?lang=en").get_data(as_text=True)
    designer = bearer(make_user(Role.DESIGNER))
    preview = client.post(PREVIEW + "?lang=en", json=simple_form(), headers=designer)
    assert preview.status_code == 200 and preview.mimetype == "text/html"
    html = preview.get_data(as_text=True)
    assert _sections(html) and _sections(html) == _sections(portal)
    assert "form-live" in html or "vite" not in html  # the live script when the build exists


def test_preview_shows_conditional_field_with_its_data(client, as_role, make_form):
    """A conditional field is drawn hidden with its key, and the definition travels along
    for form-live, so it appears when its controlling answer is picked."""
    make_form(simple_form(), key="simple", publish=False)
    html = client.post(PREVIEW, json=simple_form(),
                       headers=as_role(Role.DESIGNER)).get_data(as_text=True)
    wrapper = re.search(r'<div class="field field-text"\s+data-key="order_id"[^>]*>', html)
    assert wrapper, html
    assert "data-hidden" in wrapper.group(0)
    assert 'id="f-order_id" name="order_id"' in html
    sent = re.search(r'id="docket-form-definition">(.*?)</script>', html, re.S)
    assert sent
    order = next(f for f in json.loads(sent.group(1))["fields"] if f["key"] == "order_id")
    assert order["visibleWhen"] == {"properties": {"category": {"const": "refund"}},
                                    "required": ["category"]}


def test_preview_cannot_submit(client, as_role, make_form):
    """No action, no method, no CSRF token; the submit button is disabled."""
    make_form(simple_form(), key="simple", publish=False)
    html = client.post(PREVIEW, json=simple_form(),
                       headers=as_role(Role.DESIGNER)).get_data(as_text=True)
    form_tag = re.search(r"<form[^>]*>", html)
    assert form_tag and "action=" not in form_tag.group(0) and "method=" not in form_tag.group(0)
    assert "csrf_token" not in html
    assert re.search(r'<button type="submit"[^>]*\bdisabled\b', html)


def test_preview_escapes_designer_texts(client, as_role, make_form):
    """Hostile labels, help, options and titles come out as text, never as markup."""
    make_form(simple_form(), key="simple", publish=False)
    draft = simple_form()
    draft["title"] = {"en": HOSTILE}
    draft["fields"][0]["label"] = {"en": HOSTILE}
    draft["fields"][0]["help"] = {"en": HOSTILE}
    draft["fields"][0]["options"][0]["label"] = {"en": HOSTILE}
    draft["fields"][3]["key"] = "x</script><script>alert(2)</script>"
    html = client.post(PREVIEW, json=draft, headers=as_role(Role.DESIGNER)).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "</script><script>" not in html


def test_preview_in_both_languages(client, as_role, make_form):
    """?lang picks the designer texts and the page's own words."""
    make_form(simple_form(), key="simple", publish=False)
    designer = as_role(Role.DESIGNER)
    english = client.post(PREVIEW + "?lang=en", json=simple_form(), headers=designer)
    chinese = client.post(PREVIEW + "?lang=zh-CN", json=simple_form(), headers=designer)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert ">Category<" in english.get_data(as_text=True)
    assert "Submit request" in english.get_data(as_text=True)
    zh = chinese.get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and ">类别<" in zh and "简单请求" in zh
    assert "Submit request" not in zh and "提交" in zh
    assert "Preview: nothing is sent." not in zh


def test_preview_of_a_broken_draft_draws_what_it_can(client, as_role, make_form):
    """Broken entries are left out, bad conditions dropped, and the problems are listed."""
    make_form(simple_form(), key="simple", publish=False)
    draft = simple_form()
    draft["fields"].append("not a field")
    draft["fields"].append({"id": "f9", "type": "rating", "key": "stars", "max": "lots",
                            "label": {"en": "Stars"}, "validate": {"minItems": "two"}})
    draft["fields"].append({"id": "f1", "type": "select", "key": "category",
                            "label": {"en": "Twin"}, "options": "a,b"})
    draft["fields"][1]["visibleWhen"] = {"properties": {"nowhere": {"const": 1}},
                                         "required": ["nowhere"]}
    draft["layout"] = [{"type": "section", "children": "f1"}, 7]
    response = client.post(PREVIEW, json=draft, headers=as_role(Role.DESIGNER))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-key="stars"' in html and ">Twin<" in html
    order = re.search(r'<div class="field field-text"\s+data-key="order_id"[^>]*>', html)
    assert order and "data-hidden" not in order.group(0)  # its condition could not be used
    assert "problems would stop publishing" in html and "/fields/5" in html


def test_preview_of_an_empty_draft(client, as_role, make_form):
    """A brand-new form previews as an empty form with a hint."""
    make_form(simple_form(), key="simple", publish=False)
    response = client.post(PREVIEW, json={}, headers=as_role(Role.DESIGNER))
    assert response.status_code == 200
    assert "No fields yet" in response.get_data(as_text=True)


def test_preview_refuses_bad_input(client, as_role, make_form):
    """Malformed JSON is 400, a non-object 422, an unknown form 404, all problem+json."""
    make_form(simple_form(), key="simple", publish=False)
    designer = as_role(Role.DESIGNER)
    broken = client.post(PREVIEW, data="{not json", content_type="application/json",
                         headers=designer)
    assert broken.status_code == 400 and broken.mimetype == PROBLEM
    listed = client.post(PREVIEW, json=[1, 2], headers=designer)
    assert listed.status_code == 422 and listed.mimetype == PROBLEM
    unknown = client.post("/api/v1/forms/nope/preview", json={}, headers=designer)
    assert unknown.status_code == 404 and unknown.mimetype == PROBLEM


def test_preview_refuses_oversize(client, as_role, make_form):
    """A body over the preview limit is 413."""
    make_form(simple_form(), key="simple", publish=False)
    big = {"fields": [], "padding": "x" * (3 * 1024 * 1024)}
    response = client.post(PREVIEW, json=big, headers=as_role(Role.DESIGNER))
    assert response.status_code == 413 and response.mimetype == PROBLEM


def test_preview_is_for_designers(client, as_role, make_form, make_user, login):
    """Anonymous 401, requesters and agents 403, admins allowed; cookie writes need CSRF."""
    make_form(simple_form(), key="simple", publish=False)
    anonymous = client.post(PREVIEW, json=simple_form(), headers={"Accept": "application/json"})
    assert anonymous.status_code == 401
    for role in (Role.REQUESTER, Role.AGENT):
        refused = client.post(PREVIEW, json=simple_form(), headers=as_role(role))
        assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert client.post(PREVIEW, json=simple_form(), headers=as_role(Role.ADMIN)).status_code == 200
    login(make_user(Role.DESIGNER))
    no_token = client.post(PREVIEW, json=simple_form())
    assert no_token.status_code in (400, 403)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20,
)
FIELD = st.fixed_dictionaries({}, optional={
    "id": st.sampled_from(["a", "b", "", 3]), "key": st.sampled_from(["a", "b", "B!", None]),
    "type": st.sampled_from(["text", "select", "group", "rating", "number", "file", "x", 1]),
    "label": JSON, "options": JSON, "validate": JSON, "max": JSON, "rows": JSON,
    "default": JSON, "fields": JSON, "visibleWhen": JSON, "requiredWhen": JSON,
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(fields=st.lists(FIELD | JSON, max_size=4), layout=JSON, title=JSON)
def test_any_draft_renders(app, fields: list[Any], layout: Any, title: Any):
    """Whatever JSON a draft holds, the preview template draws it without an error."""
    from flask import render_template

    from builder.conditions import visible_ids

    definition = renderable({"fields": copy.deepcopy(fields), "layout": layout, "title": title})
    values = {f["key"]: f["default"] for f in definition["fields"] if "key" in f and "default" in f}
    visible_ids(definition, values)
    with app.test_request_context("/api/v1/forms/x/preview"):
        render_template("builder/form_preview.html", definition=definition, values=values,
                        lang="en", title="x", problems=[])


def test_versions_say_who_published(client, as_role, make_user, bearer, make_form):
    """The version list names the publisher of each version (null when published by none)."""
    make_form(simple_form(), key="simple")  # version 1, published by no one (a script)
    designer = make_user(Role.DESIGNER, email="dana@example.com")
    headers = bearer(designer)
    client.put("/api/v1/forms/simple/draft", json=simple_form(title={"en": "Simpler"}),
               headers=headers)
    assert client.post("/api/v1/forms/simple/publish", headers=headers).status_code == 201
    listed = client.get("/api/v1/forms/simple/versions", headers=headers).json
    assert [v["number"] for v in listed] == [1, 2]
    assert listed[0]["published_by"] is None
    assert listed[1]["published_by"] == {"email": "dana@example.com", "name": "dana"}
    assert len(listed[1]["hash"]) == 64 and listed[1]["published_at"]
