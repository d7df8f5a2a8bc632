"""Markdown to safe HTML: markdown-it-py renders (CommonMark + tables + strikethrough), then
nh3 (the Rust ammonia sanitizer) keeps only an allow-list of tags, attributes and URL schemes.

Rendering escapes raw HTML already; sanitizing afterwards is the second, independent fence
(scripts, event handler attributes, ``javascript:`` links never reach a page).
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
}


def render_markdown(source: str) -> str:
    """Sanitized HTML for a Markdown text."""
    html = _md.render(source or "")
    return nh3.clean(
        html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow", filter_style_properties={"text-align"},
    )


def plain_text(source: str, limit: int = 200) -> str:
    """The words of a Markdown text without markup, cut at ``limit`` characters."""
    text = html.unescape(nh3.clean(_md.render(source or ""), tags=set()))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
