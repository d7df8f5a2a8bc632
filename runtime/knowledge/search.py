"""Full-text search of articles on the database's own index, safe for any query string.

Words are prepared the same way for the index and for queries: lower-cased; Latin words as
they are; runs of Chinese/Japanese characters (written without spaces) as single characters
and overlapping pairs, so that "退款" finds "申请退款流程". The query is never passed on as
the user typed it: only these prepared terms, each quoted, reach ``to_tsquery`` (PostgreSQL,
``simple`` configuration, GIN expression index) or ``MATCH`` (SQLite FTS5), so operators,
quotes and brackets in a query are just ignored characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Select, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from runtime.knowledge.models import Article

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
#: Short common words that would make every article a suggestion.
_STOP_WORDS = (
    "a an and are as at be but by can do for from has have how i in is it my no not of on or "
    "our so that the this to was we what when where which why will with you your "
    "com http https www")
_STOP = frozenset(_STOP_WORDS.split())
MAX_TERMS = 16
MAX_TERM_LENGTH = 64


def _pieces(text: str) -> Iterable[tuple[str, bool]]:
    for match in _TOKEN.finditer(text.lower()):
        word = match.group()
        yield word, word[0] >= "\u3040" and bool(re.match(rf"[{_CJK}]", word[0]))


def index_text(*texts: str) -> str:
    """The words of ``texts`` as the full-text index stores them."""
    out: list[str] = []
    for text in texts:
        for word, cjk in _pieces(text or ""):
            if cjk:
                out.extend(word)
                out.extend(word[i:i + 2] for i in range(len(word) - 1))
            else:
                out.append(word[:MAX_TERM_LENGTH])
    return " ".join(out)


def query_terms(query: str, *, drop_common: bool = False) -> list[str]:
    """The distinct search terms of a query (at most ``MAX_TERMS``)."""
    terms: list[str] = []
    for word, cjk in _pieces(query or ""):
        if cjk:
            found = [word] if len(word) == 1 else [word[i:i + 2] for i in range(len(word) - 1)]
        elif drop_common and (word in _STOP or len(word) < 2 or word.isdigit()):
            continue
        else:
            found = [word[:MAX_TERM_LENGTH]]
        for term in found:
            if term not in terms:
                terms.append(term)
    return terms[:MAX_TERMS]


_fts = table("kb_articles_fts", column("rowid"), column("rank"), column("kb_articles_fts"))


def matching(session: Session, terms: list[str], *, any_term: bool) -> Select[Article]:
    """Articles matching the terms (all of them, or ``any_term``), best first."""
    if session.get_bind().dialect.name == "postgresql":
        joiner = " | " if any_term else " & "
        tsquery = func.to_tsquery("simple", joiner.join(f"'{t}':*" for t in terms))
        vector = func.to_tsvector(literal_column("'simple'"), Article.search_text)
        return (select(Article).where(vector.op("@@")(tsquery))
                .order_by(func.ts_rank(vector, tsquery).desc(), Article.id.desc()))
    joiner = " OR " if any_term else " AND "
    match = joiner.join('"' + t.replace('"', '""') + '"*' for t in terms)
    hits = (select(_fts.c.rowid.label("id"), _fts.c.rank.label("rank"))
            .where(_fts.c.kb_articles_fts.op("MATCH")(match)).subquery())
    return (select(Article).join(hits, hits.c.id == Article.id)
            .order_by(hits.c.rank, Article.id.desc()))
