"""Chinese full-text search terms for cases. Pure: builds index text and match expressions.

Two kinds of terms are indexed: jieba's search-mode words (so 洗衣机 finds 洗衣机 and 洗衣) and
the character bigrams of every CJK run in order (so any substring of two or more characters is a
phrase of bigrams and is found even where jieba segmented differently). Latin words and numbers
are indexed as themselves. Queries are folded the same way (traditional → simplified, width, case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from caseloop.core.text import fold, is_cjk

_LATIN_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class IndexTerms:
    words: str
    grams: str


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def _cjk_runs(text: str) -> list[str]:
    runs: list[str] = []
    current: list[str] = []
    for char in text:
        if is_cjk(char):
            current.append(char)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _clean_token(token: str) -> str:
    return "".join(ch for ch in token if is_cjk(ch) or ch.isalnum())


def index_terms(*texts: str) -> IndexTerms:
    """The words and grams to index for a case made of `texts` (subject, content, …)."""
    folded = fold("\n".join(t for t in texts if t))
    # No HMM guessing of unknown words (a third of jieba's time): the ordered bigrams already find
    # any substring of two or more characters, names and new words included.
    words = [w for w in (_clean_token(t) for t in _jieba().cut_for_search(folded, HMM=False)) if w]
    grams: list[str] = []
    for run in _cjk_runs(folded):
        grams.extend(_bigrams(run))
    words.extend(m.group(0) for m in _LATIN_WORD.finditer(folded) if m.group(0) not in words)
    return IndexTerms(words=" ".join(words), grams=" ".join(grams))


@dataclass(frozen=True)
class QueryTerm:
    """One term the user typed: a CJK word matched as a word or as a phrase of bigrams, or a Latin word."""

    word: str
    grams: tuple[str, ...]


def query_terms(query: str) -> list[QueryTerm]:
    """Split what the user typed into terms that must all match (AND)."""
    folded = fold(query)
    terms: list[QueryTerm] = []
    for chunk in folded.split():
        for run in _cjk_runs(chunk):
            terms.append(QueryTerm(word=run, grams=tuple(_bigrams(run)) if len(run) > 1 else ()))
        for match in _LATIN_WORD.finditer(chunk):
            terms.append(QueryTerm(word=match.group(0), grams=()))
    return terms[:12]


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts5_match(terms: list[QueryTerm]) -> str:
    """An FTS5 MATCH expression: every term as a word, or as the phrase of its bigrams."""
    parts = []
    for term in terms:
        alternatives = [f"words : {_fts5_quote(term.word)}"]
        if term.grams:
            alternatives.append("grams : " + _fts5_quote(" ".join(term.grams)))
        elif not is_cjk(term.word[0]):
            alternatives = [f"words : {_fts5_quote(term.word)}*"]
        parts.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(parts)


def _ts_lexeme(term: str, weight: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "\\\\") + f"':{weight}"


def tsquery(terms: list[QueryTerm]) -> str:
    """A PostgreSQL to_tsquery('simple', …) string over the weighted vector (A: words, B: grams)."""
    parts = []
    for term in terms:
        alternatives = [_ts_lexeme(term.word, "A")]
        if term.grams:
            alternatives.append("(" + " <-> ".join(_ts_lexeme(g, "B") for g in term.grams) + ")")
        elif not is_cjk(term.word[0]):
            alternatives = [_ts_lexeme(term.word, "A") + "*"]
        parts.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(parts)
