"""Operators change pricing rules from chat (/pricing): new quotes follow at once, placed orders keep their price,
and a reset goes back to the campus file's amount."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.money import share
from locales import catalogue
from storage.models import OperatorAction, PricingChange
from storage.uow import UnitOfWork
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM, answer_all, funded, orders_of, quote_of

EN, ZH = catalogue("en"), catalogue("zh_CN")
# A buy task from the supermarket to the library, up to its quote.
BUY = ["Buy for me", "Supermarket", "Library", "Skip", "Apples", "20", "1", "small", "now", "Done", "Skip",
       "Anyone", "Skip", "0", "No coupon"]


async def changes(services) -> dict[str, int]:
    async with UnitOfWork(services.db, write=False) as uow:
        return {c.rule: c.amount for c in await uow.session.scalars(select(PricingChange))}


async def test_the_rules_are_listed_with_their_amounts_and_what_the_file_says(chat, services):
    await operator(chat)
    (reply,) = await chat.send(OP, "/pricing")
    lines = reply.text.split("\n")
    assert lines[0] == "Pricing rules of Demo University:"
    assert "base.buy: 4.00 yuan — base price of buy for me" in lines
    assert "peak.1: 1.00 yuan — peak hours surcharge, 11:30–13:00" in lines
    assert "commission: 15% — the platform's commission on the service fee" in lines
    await chat.send(OP, "/pricing set base.buy 5.5")
    await chat.send(OP, "/pricing SET commission 12.5％")  # as a Chinese keyboard types it
    await chat.send(OP, "/pricing set peak.2 1.5")
    assert await changes(services) == {"base.buy": 550, "commission": 1250, "peak@17:00-18:30": 150}
    (reply,) = await chat.send(OP, "/pricing")
    assert ("base.buy: 5.50 yuan — base price of buy for me · changed from chat; the campus file says 4.00 yuan"
            in reply.text.split("\n"))
    assert ("commission: 12.5% — the platform's commission on the service fee · changed from chat; the campus file "
            "says 15%") in reply.text.split("\n")
    assert ("peak.2: 1.50 yuan — peak hours surcharge, 17:00–18:30 · changed from chat; the campus file says 1.00 yuan"
            in reply.text.split("\n"))
    assert [r.text for r in await chat.send(OP, "/pricing reset peak.2")] == [
        "peak.2 is back to the campus file's 1.00 yuan."]


async def test_a_change_prices_the_next_quote_and_a_placed_order_keeps_its_price(chat, services):
    await operator(chat)
    bob = await funded(chat, services, "bob", 0)
    await chat.send("bob", "/order")
    before = quote_of(await answer_all(chat, "bob", BUY)).text
    assert "Buy for me: 4.00" in before
    await chat.send("bob", "Confirm")
    [placed] = await orders_of(services, bob)

    replies = await chat.send(OP, "/pricing set base.buy 6")
    assert [r.text for r in replies] == ["base.buy is now 6.00 yuan (the campus file says 4.00 yuan). Quotes from "
                                         "now on use it; orders already placed keep their price."]
    assert await changes(services) == {"base.buy": 600}
    await chat.send("bob", "/order")
    after = quote_of(await answer_all(chat, "bob", BUY)).text
    assert "Buy for me: 6.00" in after
    await chat.send("bob", "Confirm")
    [kept, new] = await orders_of(services, bob)
    assert (kept.id, kept.service_fee, kept.total) == (placed.id, placed.service_fee, placed.total)
    assert new.service_fee == placed.service_fee + 200 and new.total == placed.total + 200

    replies = await chat.send(OP, "/pricing reset base.buy")
    assert [r.text for r in replies] == ["base.buy is back to the campus file's 4.00 yuan."]
    assert await changes(services) == {}
    await chat.send("bob", "/order")
    assert "Buy for me: 4.00" in quote_of(await answer_all(chat, "bob", BUY)).text
    async with UnitOfWork(services.db, write=False) as uow:
        done = [(a.action, a.target, a.details) for a in await uow.session.scalars(select(OperatorAction))]
    assert done == [("pricing_set", "pricing:demo:base.buy", {"amount": 600}),
                    ("pricing_reset", "pricing:demo:base.buy", {})]


async def test_a_quote_shown_before_a_change_is_shown_again_changed_when_confirmed(chat, services):
    await operator(chat)
    bob = await funded(chat, services, "bob", 0)
    await chat.send("bob", "/order")
    await answer_all(chat, "bob", BUY)
    await chat.send(OP, "/pricing set commission 10")  # the student's price stays: nothing to show again
    await chat.send(OP, "/pricing set base.buy 5")
    replies = await chat.send("bob", "Confirm")
    assert keys(replies) == ["order-quote"] and "Buy for me: 5.00" in replies[0].text
    assert keys(await chat.send("bob", "Confirm")) == ["order-created"]
    [order] = await orders_of(services, bob)
    assert order.commission == share(order.service_fee, 1000)


async def test_a_coupon_whose_minimum_spend_a_change_puts_out_of_reach_is_said_gone_at_confirm(chat, services):
    """Alice's quote takes 1.00 off with MIN (minimum spend 3.50; her fee is 3.60): 4.60 in all. An operator lowers
    the fee by exactly 1.00: without the coupon it is 4.60 still, yet the coupon is gone from the bill. Confirm
    shows the quote again and says why, and places the order only when confirmed again."""
    await operator(chat)
    assert keys(await chat.send(OP, "/coupon create MIN 1 3.5")) == ["admin-coupon-created"]
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    quote = quote_of(await chat.send("alice", "MIN"))
    assert "Coupon MIN: -1.00" in quote.text and "Total: 4.60 yuan" in quote.text
    await chat.send(OP, "/pricing set floor 1")
    await chat.send(OP, "/pricing set base.parcel 2")
    again = quote_of(await chat.send("alice", "Confirm"))
    assert again.text.startswith("The price has changed since you looked.") and "Coupon MIN:" not in again.text
    assert again.text.endswith("Total: 4.60 yuan\nCoupon MIN needs a service fee of at least 3.50 yuan.")
    assert await orders_of(services, alice) == []
    assert keys(await chat.send("alice", "Confirm")) == ["order-created"]
    [order] = await orders_of(services, alice)
    assert (order.total, order.discount, order.coupon_code) == (460, 0, None)


async def test_the_ceilings_students_are_told_follow_the_changes(chat, services):
    await operator(chat)
    await chat.send(OP, "/pricing set max_tip 8")
    await chat.send(OP, "/pricing set max_goods 100")
    await funded(chat, services, "bob", 0)
    await chat.send("bob", "/order")
    replies = await answer_all(chat, "bob", BUY[:5])
    assert "(up to 100.00 yuan)" in replies[0].text
    assert keys(await chat.send("bob", "150")) == ["error-goods-range"]
    replies = await answer_all(chat, "bob", ["20", "1", "small", "now", "Done", "Skip", "Anyone", "Skip"])
    assert replies[0].text == "A tip for the runner? All of it goes to them (0 to 8.00 yuan)."
    assert keys(await chat.send("bob", "9")) == ["error-tip-range"]


@pytest.mark.parametrize(("text", "key"), [
    ("/pricing set base.pizza 5", "pricing-unknown-rule"),
    ("/pricing set base.buy lots", "pricing-amount-invalid"),
    ("/pricing set base.buy 1001", "pricing-amount-range"),
    ("/pricing set commission 120%", "pricing-percent-range"),  # a percentage, only too high: said so
    ("/pricing set commission 12.345%", "pricing-amount-invalid"),
    ("/pricing set commission 5元", "pricing-amount-invalid"),
    ("/pricing reset base.buy", "pricing-not-changed"),
    ("/pricing set floor 0", "pricing-not-zero"),  # every errand costs something: its completion pays someone
    ("/pricing set max_goods 0", "pricing-not-zero"),
    ("/pricing reset peak.9", "pricing-unknown-rule"),
    ("/pricing set base.buy", "pricing-usage"),
    ("/pricing base.buy 5", "pricing-usage"),
])
async def test_bad_pricing_commands_are_refused_and_change_nothing(chat, services, text, key):
    await operator(chat)
    replies = await chat.send(OP, text)
    assert keys(replies) == [key], [r.text for r in replies]
    assert await changes(services) == {}


def test_the_other_operators_are_told_in_their_chats_language():
    args = {"who": "Ann (#3)", "rule": "commission", "unit": "percent", "amount": "12", "file": "15"}
    assert EN("pricing-set-by", **args) == ("Ann (#3) changed the pricing rule commission to 12% (the campus file "
                                            "says 15%).")
    assert ZH("pricing-set-by", **args) == "Ann (#3) 将计价规则 commission 改为 12%（配置文件为 15%）。"
    assert ZH("pricing-reset-by", **{**args, "rule": "night", "unit": "yuan", "file": "2.00"}) == (
        "Ann (#3) 将计价规则 night 恢复为配置文件中的 2.00 元。")


async def test_the_urgent_choice_shows_the_changed_surcharge(chat, services):
    await operator(chat)
    await chat.send(OP, "/pricing set urgent 4.5")
    await funded(chat, services, "bob", 0)
    await chat.send("bob", "/order")
    replies = await answer_all(chat, "bob", BUY[:8])  # up to the time question
    labels = [c.label for c in replies[0].flat_choices()]
    assert "Now, urgent (+4.50 yuan)" in labels, labels  # in yuan, as every amount on a button
    await chat.send(OP, "/pricing set urgent 0")  # no surcharge: no urgent choice at all
    await chat.send("bob", "/order")
    replies = await answer_all(chat, "bob", BUY[:8])
    assert not any("4.50" in c.label or "rgent" in c.label for c in replies[0].flat_choices())


async def test_a_tip_above_a_ceiling_lowered_since_is_refused_at_confirm_and_can_be_changed(chat, services):
    await operator(chat)
    bob = await funded(chat, services, "bob", 0)
    await chat.send("bob", "/order")
    await answer_all(chat, "bob", [*BUY[:13], "5", "No coupon"])  # a 5 yuan tip
    await chat.send(OP, "/pricing set max_tip 2")
    replies = await chat.send("bob", "Confirm")
    assert keys(replies) == ["error-tip-range"] and replies[0].text == "The tip must be between 0 and 2.00 yuan."
    assert await orders_of(services, bob) == []
    assert keys(await chat.send("bob", "« Back")) == ["order-ask-coupon"]  # the quote's Back, typed
    assert keys(await chat.send("bob", "« Back")) == ["order-ask-tip"]
    await answer_all(chat, "bob", ["2", "No coupon", "Confirm"])
    [order] = await orders_of(services, bob)
    assert order.tip == 200
