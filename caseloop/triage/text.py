"""Normalisation for triage (R3): one script, one width, words a model can count.

The original text is always kept and shown; this form is only what the models and rules read.
Pure: no ORM. The domain dictionary is passed in (admins extend it, see `DomainTerm`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jieba

from caseloop.core.text import fold

DATA_DIR = Path(__file__).with_name("data")

# Emoji that carry the customer's mood become words the emotion model can learn from;
# the rest are noise and go.
EMOJI_WORDS = {
    "😡": "愤怒表情", "🤬": "愤怒表情", "😠": "愤怒表情", "👿": "愤怒表情", "💢": "愤怒表情",
    "😤": "生气表情", "😭": "大哭表情", "😢": "哭泣表情", "😞": "失望表情", "😒": "不满表情",
    "👍": "点赞表情", "😊": "开心表情", "😄": "开心表情", "❤": "喜爱表情", "🙏": "感谢表情",
    "[怒]": "愤怒表情", "[抓狂]": "愤怒表情", "[生气]": "生气表情", "[哭]": "大哭表情", "[泪]": "哭泣表情",
    "[赞]": "点赞表情", "[微笑]": "开心表情", "[心]": "喜爱表情",
}
_EMOJI_WORD_RE = re.compile("|".join(re.escape(k) for k in sorted(EMOJI_WORDS, key=len, reverse=True)))
_OTHER_SYMBOLS_RE = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
# Long runs of one character ("！！！！！", "啊啊啊啊啊", "…………") say the same as three of them.
_RUN_RE = re.compile(r"(.)\1{3,}")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class NormalisedText:
    original: str
    folded: str  # simplified, half-width, lower case, emoji as words, runs squeezed
    tokens: tuple[str, ...]  # jieba words of `folded`, punctuation and spaces dropped
    exclamations: int  # how many ！/! the customer typed (before squeezing): an emotion signal

    @property
    def words(self) -> str:
        """The tokens as one space-separated string (what the word vectoriser reads)."""
        return " ".join(self.tokens)


def fold_for_models(text: str) -> str:
    text = _EMOJI_WORD_RE.sub(lambda m: f" {EMOJI_WORDS[m.group(0)]} ", text)
    text = _OTHER_SYMBOLS_RE.sub(" ", text)
    text = fold(text)
    text = _RUN_RE.sub(lambda m: m.group(1) * 3, text)
    return _SPACE_RE.sub(" ", text).strip()


class Segmenter:
    """jieba with Caseloop's domain dictionary (product names, models, error words) and the
    organisation's own terms. A private tokenizer, so search's segmentation is not affected."""

    def __init__(self, extra_terms: Iterable[str] = ()) -> None:
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._ready = False
        self._extra = [t.strip() for t in extra_terms if t.strip()]

    def _initialise(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._tokenizer.initialize()
            self._tokenizer.load_userdict(str(DATA_DIR / "domain_dict.txt"))
            for term in self._extra:
                self._tokenizer.add_word(fold(term), freq=2000)
            self._ready = True

    def tokens(self, folded: str) -> tuple[str, ...]:
        if not self._ready:
            self._initialise()
        return tuple(
            word for word in self._tokenizer.lcut(folded, HMM=False)
            if word.strip() and not all(unicodedata.category(ch)[0] in "PZS" for ch in word)
        )


def normalise(text: str, segmenter: Segmenter) -> NormalisedText:
    folded = fold_for_models(text)
    return NormalisedText(original=text, folded=folded, tokens=segmenter.tokens(folded),
                          exclamations=text.count("！") + text.count("!"))
