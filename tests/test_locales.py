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


# Chinese messages that may call the operators 运营 (or name the 平台, the platform): those only operators read,
# and those where 平台 is no person (Telegram's answer to a failed message, the commission, where the money is held).
OPERATORS_ONLY = {"admin-help", "admin-card-withdrawn", "admin-actor", "admin-cannot-suspend-operator",
                  "admin-coupon-exists", "admin-question-not-yours", "admin-credit-event", "pricing-line",
                  "help-operator", "tg-cmd-admin", "notice-undelivered", "console-summary-order", "price-commission",
                  "tg-invoice-description", "admin-user", "admin-today", "admin-report"}


def test_students_and_runners_read_of_the_operators_as_kefu():
    """One word for the people who help: 客服, as students and runners know them. Before, they read 管理员, 运营人员,
    平台 or 服务台 depending on the message."""
    found = set()
    for path in sorted((ROOT / "locales" / "zh_CN").glob("*.ftl")):
        key = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                continue
            if (start := re.match(r"(-?[a-z0-9-]+) =", line)) is not None:
                key = start[1]
            if key not in OPERATORS_ONLY and any(word in line for word in ("管理员", "运营", "平台", "服务台")):
                found.add(key)
    assert found == set()


def test_english_says_what_is_asked_in_plain_words():
    """Before: "Order #7 asks no goods difference of you now", "is no change of score", "Paid. Your order #7 waits
    for a runner."."""
    t = catalogue("en")
    assert t("extra-not-asked", order=7).startswith("You are not asked for a goods difference of order #7 now:")
    assert t("error-extra-none", order=7) == "The student of order #7 is not asked for a goods difference now."
    assert t("tg-pay-extra-not-asked", order=7).startswith(
        "You are not asked for this goods difference of order #7 now, so nothing was charged.")
    assert t("admin-credit-change-invalid", text="ten") == (
        '"ten" is not a change of score: write it with its sign, like +10 or -5.')
    assert t("notice-paid", order=7, covered="no") == "Paid: your order #7 is waiting for a runner."
