"""Typed answers to a question with buttons, read as a careful person reads them, never guessed at.

A typed label counts as pressing its button; case, width and spacing do not matter (normalize_name). Beyond that:
- the label's core: without its bracketed explanation or the symbols around it ('小件（一个袋子装得下）' → '小件',
  '« Back' → 'Back');
- on a question that must be answered with one of its options (`loose`), the start of a label or core ('med',
  '大'), or of a word in it ('pickup', 'for me'; in Chinese any character starts one: '快递' in '代取快递');
and only where exactly ONE option fits: an answer that fits several is refused with them (order-choose-among).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

from core.campus import normalize_name
from core.errors import InvalidInput
from handlers.context import quoted
from locales import Catalogue

# Whole answers that mean "nothing" at an optional question, as people type them on a phone: a dash (the Chinese
# keyboard's long one too), or the word. Only ever the whole answer: "- call me" is a note.
NONE_WORDS = frozenset(normalize_name(w) for w in (
    "-", "--", "—", "——", "–", "无", "没有", "暂无", "none", "n/a", "no", "nil"))
_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")  # after NFKC, （…） is (…)
_EDGES = re.compile(r"^\W+|\W+$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def means_none(text: str | None) -> bool:
    return normalize_name(text or "") in NONE_WORDS


def core(label: str) -> str:
    """A normalized label without its bracketed part and the symbols around it."""
    return "".join(_core_text(label).split())


def _core_text(label: str) -> str:
    return _EDGES.sub("", _BRACKETED.sub("", unicodedata.normalize("NFKC", label).casefold())).strip()


def _word_tails(label: str) -> list[str]:
    """The label's core, normalized, from each place a word starts in it (every Chinese character does)."""
    text = _core_text(label)
    return ["".join(text[i:].split()) for i, ch in enumerate(text)
            if i > 0 and (_CJK.match(ch) or (ch.isalnum() and not text[i - 1].isalnum()))]


def typed_option(t: Catalogue, options: Iterable[tuple[str, str]], text: str, *, loose: bool = False,
                 strict: Collection[str] = ()) -> str | None:
    """The value of the one option (label, value) the typed text names, or None when it names none. `loose`: the
    question takes nothing but its options, so the start of one, or of a word in it (two letters at least, or
    Chinese), names it too; not an option whose value is `strict` (Back: never taken on a guess). Text that fits
    several options is refused with their labels."""
    typed = normalize_name(text)
    if not typed:
        return None
    options = list(options)
    for label, value in options:
        if normalize_name(label) == typed:
            return value
    fits = [(label, value) for label, value in options if core(label) == typed]
    if not fits and loose:
        short_ok = bool(_CJK.search(typed)) or len(typed) >= 2
        fits = [(label, value) for label, value in options if value not in strict and (
            normalize_name(label).startswith(typed) or core(label).startswith(typed)
            or (short_ok and any(tail.startswith(typed) for tail in _word_tails(label))))]
    values = {value for _, value in fits}
    if len(values) > 1:
        labels = dict.fromkeys(label for label, _ in fits)
        raise InvalidInput("order-choose-among", text=quoted(text), options=t("order-option-sep").join(labels))
    return values.pop() if values else None
