"""Every message exists in every language, and every key the code uses exists."""
import re
from pathlib import Path

import pytest

from core.order import Event, Status
from locales import LANGUAGES, Catalogue, catalogue

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r'["\']((?:error|not-eligible|grab|price|notice)-[a-z0-9-]+)["\']')


def test_all_languages_have_the_same_keys():
    reference = catalogue("en").keys()
    for language in LANGUAGES:
        assert catalogue(language).keys() == reference, language


def test_every_key_used_in_the_code_is_in_the_catalogue():
    used = set()
    for folder in ("core", "handlers", "storage", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(KEY.findall(path.read_text(encoding="utf-8")))
    missing = {k for k in used if not catalogue("en").has(k)}
    assert not missing, f"keys used in code but missing from the catalogue: {sorted(missing)}"


def test_remembered_texts_follow_their_arguments_and_missing_keys_still_raise():
    t = Catalogue("en")  # a fresh one: nothing remembered yet
    first = t("hall-won-details-private", order=7)
    assert first == "The full details of order #7 follow."
    assert t("hall-won-details-private", order=7) == first
    assert t("hall-won-details-private", order=12345) == "The full details of order #12345 follow."
    assert t("hall-won-details-private", order=8) == "The full details of order #8 follow."
    for _ in range(2):
        with pytest.raises(KeyError):
            t("no-such-message", order=7)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_order_action_names_the_status_in_words(language):
    """IllegalTransition(status=<code>) is raised all over (core, runner, operator commands): its message words the
    code as the order card does, never the raw code."""
    t = catalogue(language)
    for status in Status:
        refusal, words = t("error-illegal-transition", status=status.value), t("status", status=status.value)
        assert words in refusal and status.value not in refusal.replace(words, ""), refusal


def test_the_stairs_line_of_a_quote_counts_floors_in_good_english():
    """A room on the 3rd floor of a dorm without a lift pays for one floor: "1 floor", never "1 floors"."""
    t = catalogue("en")
    assert t("price-stairs", floors=1) == "Stairs, 1 floor (no lift)"
    assert t("price-stairs", floors=4) == "Stairs, 4 floors (no lift)"
    assert catalogue("zh_CN")("price-stairs", floors=1) == "爬楼 1 层（无电梯）"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_order_event_is_named_in_the_students_and_the_operators_history(language):
    """An order's history shows each event in words, never the code's name of it (what a selector without the
    event's variant falls back to). Some English words are the name itself ("reassign"); none with an underscore."""
    t = catalogue(language)
    for event in Event:
        for said in (t("track-history-line", time="", event=event.value, covered="no", viewer="customer"),
                     t("admin-event-name", event=event.value, covered="no", refunded="yes")):
            if language != "en" or "_" in event.value:
                assert said.strip() != event.value, (event, said)
