"""Message catalogues (Project Fluent), one per language, used by every channel."""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource
from fluent.runtime.types import fluent_number

LOCALES_DIR = Path(__file__).resolve().parent
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
FORMATTED_KEPT = 20_000  # formatted texts remembered per language, then forgotten all at once


class Catalogue:
    """Formats catalogue keys in one language. A key missing from the catalogue is a bug: it raises."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            language = DEFAULT_LANGUAGE
        self.language = language
        self._bundle = FluentBundle([language.replace("_", "-")], use_isolating=False)
        for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
            self._bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
        # Formatting is pure Python and the same prompts and button labels come back all the time.
        self._formatted: dict[tuple[Any, ...], str] = {}

    def has(self, key: str) -> bool:
        return self._bundle.has_message(key)

    def keys(self) -> set[str]:
        return set(self._bundle._messages)  # fluent.runtime exposes no public listing

    def __call__(self, key: str, **args: Any) -> str:
        try:
            # the type too: 1, 1.0 and True are equal keys but format differently
            cache_key = (key, *((name, type(value), value) for name, value in sorted(args.items())))
            return self._formatted[cache_key]
        except KeyError:
            text = self._format(key, args)
            if len(self._formatted) >= FORMATTED_KEPT:
                self._formatted.clear()
            self._formatted[cache_key] = text
            return text
        except TypeError:  # an argument that cannot be a dict key: format it every time
            return self._format(key, args)

    def join(self, items: Iterable[str], *, more: bool = False) -> str:
        """A list in running text, as this language writes one: "A, B" in English, "A、B" in Chinese; `more`: only
        the first of more items, which it says ("A, B, …", "A、B等")."""
        return self("list-sep").join(items) + (self("list-more") if more else "")

    def _format(self, key: str, args: dict[str, Any]) -> str:
        if not self._bundle.has_message(key):
            raise KeyError(f"message {key!r} is missing from the {self.language} catalogue")
        message = self._bundle.get_message(key)
        # Whole numbers here are order numbers, counts and ids: never "12,345". Plural selection still works.
        args = {k: fluent_number(v, useGrouping=False) if isinstance(v, int) and not isinstance(v, bool) else v
                for k, v in args.items()}
        text, errors = self._bundle.format_pattern(message.value, args)
        if errors:
            raise ValueError(f"message {key!r} in {self.language}: {errors}")
        return text


@lru_cache(maxsize=None)
def catalogue(language: str) -> Catalogue:
    return Catalogue(language)
