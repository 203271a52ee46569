"""Chinese full-text search terms for cases. Pure: builds index text and match expressions.

Two kinds of terms are indexed: jieba's search-mode words (so 洗衣机 finds 洗衣机 and 洗衣) and
the character bigrams of every CJK run in order (so any substring of two or more characters is a
phrase of bigrams and is found even where jieba segmented differently). Latin words and numbers
are indexed as themselves. Queries are folded the same way (traditional → simplified, width, case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import rjieba

from caseloop.core.text import fold, is_cjk

_LATIN_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class IndexTerms:
    words: str
    grams: str


# The ranges of `caseloop.core.text.is_cjk`, as a character class.
_CJK_RUN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002fa1f\uf900-\ufaff]+")
# What a token keeps: CJK ideographs and letters or digits of any script (str.isalnum).
_NOT_ALNUM = re.compile(r"[\W_]+")


def _cjk_runs(text: str) -> list[str]:
    return _CJK_RUN.findall(text)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _clean_token(token: str) -> str:
    return _NOT_ALNUM.sub("", token)


def index_terms(*texts: str) -> IndexTerms:
    """The words and grams to index for a case made of `texts` (subject, content, …)."""
    folded = fold("\n".join(t for t in texts if t))
    # jieba's search mode from jieba-rs (rjieba): the same dictionary and the same words as the
    # Python jieba, at a twentieth of the CPU; every registration and import pays for it. No HMM
    # guessing of unknown words: the ordered bigrams already find any substring of two or more
    # characters, names and new words included.
    words = [w for w in (_clean_token(t) for t in rjieba.cut_for_search(folded, False)) if w]
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
