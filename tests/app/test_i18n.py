"""The Chinese catalog is complete and compiled; pages and errors follow the language."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from core.people import Role

CATALOG = Path(__file__).resolve().parents[2] / "app/translations/zh_Hans_CN/LC_MESSAGES"


def test_i18n_every_message_is_translated_and_compiled():
    """No empty or fuzzy entry in the .po, and the .mo holds exactly what the .po says."""
    with (CATALOG / "messages.po").open("rb") as handle:
        po = read_po(handle)
    with (CATALOG / "messages.mo").open("rb") as handle:
        mo = read_mo(handle)
    def texts(value: Any) -> tuple[str, ...]:
        """A message's id or string as a tuple (plural entries hold several)."""
        return tuple(value) if isinstance(value, list | tuple) else (value,)

    missing = [m.id for m in po if m.id and (not all(texts(m.string)) or m.fuzzy)]
    assert missing == []
    assert ({texts(m.id): texts(m.string) for m in po if m.id}
            == {texts(m.id): texts(m.string) for m in mo if m.id})


def test_i18n_login_page_in_chinese(client):
    """Accept-Language zh-CN gives the Chinese login page; ?lang=en overrides it."""
    zh = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in zh and "登录" in zh
    en = client.get("/login?lang=en", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)
    assert 'lang="en"' in en and "Sign in" in en


def test_i18n_pattern_message_is_localized(client, as_role, make_form):
    """A designer's pattern message comes back in the request's language."""
    from tests.conftest import demo_definition

    make_form(demo_definition("refund"))
    response = client.post("/api/v1/forms/refund/submissions", json={"data": {
        "category": "refund", "order_id": "x"}}, headers={
        **as_role(Role.REQUESTER), "Accept-Language": "zh-CN"})
    errors = {e["pointer"]: e["message"] for e in response.json["errors"]}
    assert errors["/order_id"] == "应为 OD 加 8 位数字。"


def test_deeply_nested_json_is_400_not_500(client, as_role):
    """A body nested 100,000 deep is refused as bad input."""
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/forms", data=body, headers={
        **as_role(Role.DESIGNER), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_i18n_catalog_holds_every_string_in_the_code(tmp_path):
    """Every translatable string in app/ and templates/ is in the Chinese catalog
    (`make translations` keeps them in sync)."""
    root = CATALOG.parents[3]
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(root / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-o", str(pot),
                    "."], check=True, cwd=root, capture_output=True)
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (CATALOG / "messages.po").open("rb") as handle:
        have = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert sorted(map(str, wanted - have)) == []
