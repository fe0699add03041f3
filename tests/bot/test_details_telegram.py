"""The runner's details message and /track card through the real dispatcher against the fake Bot API: brought
up to date whenever the order moves on while it is theirs (picked up, delivered, on hold), so neither keeps a
deadline or a button that no longer means anything."""
from __future__ import annotations

from locales import catalogue
from tests.bot.test_e2e_telegram import all_delivered, buttons, grabbed, running_bot  # noqa: F401
from tests.bot.test_telegram_adapter import order_row

EN = catalogue("en")


async def test_picked_up_pressed_on_the_runners_track_card_takes_its_trip_buttons_away(
        fake_bot_api, running_bot, services, campus, clock):  # noqa: F811
    """The runner opens the order with /track and presses Picked up there. The details message loses Picked up and
    Release (they mean nothing any more); the very card that was pressed keeps them, and still says the runner is
    on the way and must pick up by 10:30."""
    fake = fake_bot_api
    services.throttle = None  # not what this test is about
    li, zhao, order_id, details = await grabbed(fake, services, campus, clock)
    mark = zhao.command("track", str(order_id))
    card = await zhao.with_button(mark, f"o:{order_id}:pickup:card", "the runner's order card")
    assert buttons(card)[:2] == [f"o:{order_id}:pickup:card", f"o:{order_id}:release"]
    mark = zhao.press(card, f"o:{order_id}:pickup:card")
    await zhao.with_button(mark, f"o:{order_id}:deliver", "the picked-up answer")
    await all_delivered(fake, services)
    assert (await order_row(services, order_id)).status == "picked_up"
    assert buttons(fake.messages[(zhao.id, details["message_id"])]) == [f"o:{order_id}:chat"]
    now_card = fake.messages[(zhao.id, card["message_id"])]
    assert f"o:{order_id}:pickup:card" not in buttons(now_card) and f"o:{order_id}:release" not in buttons(now_card), (
        now_card["text"], buttons(now_card))


async def test_the_details_message_stops_asking_for_a_delivery_once_delivered(
        fake_bot_api, running_bot, services, campus, clock):  # noqa: F811
    """After Delivered the runner's details message (edited in place at the pickup) still reads 'picked up' and
    'Deliver by 11:00.' until the order completes, up to 24 hours later (auto-confirm)."""
    fake = fake_bot_api
    services.throttle = None
    li, zhao, order_id, details = await grabbed(fake, services, campus, clock)
    await zhao.says(zhao.command("picked", str(order_id)), EN("runner-picked-up", order=order_id))
    await zhao.says(zhao.command("delivered", str(order_id)), EN("runner-delivered", order=order_id))
    await all_delivered(fake, services)
    row = await order_row(services, order_id)
    assert row.status == "delivered"
    text = fake.messages[(zhao.id, details["message_id"])]["text"]
    deliver_by = EN("order-card-deliver-by", time="@").split("@")[0]  # "Deliver by "
    assert deliver_by not in text, text


async def test_the_details_message_stops_the_pickup_countdown_once_the_order_is_on_hold(
        fake_bot_api, running_bot, services, campus, clock):  # noqa: F811
    """The student reports the order before pickup: it is on hold (its pickup deadline cleared, the runner told to
    wait for an operator), but the runner's details message still says 'Pick up by 10:30: past it the order goes back
    to the hall, and your credit drops.' with Picked up and Release, which are only refused now."""
    fake = fake_bot_api
    services.throttle = None
    li, zhao, order_id, details = await grabbed(fake, services, campus, clock)
    mark = li.command("complain", f"{order_id} the runner asked me to cancel")
    await li.reply(mark, lambda m: True, "the complaint's answer")
    await all_delivered(fake, services)
    row = await order_row(services, order_id)
    assert (row.status, row.pickup_by) == ("exception", None)
    await zhao.reply(0, lambda m: m["text"].startswith("The student reported a problem"), "the on-hold notice")
    now = fake.messages[(zhao.id, details["message_id"])]
    pickup_by = EN("order-card-pickup-by", time="@").split("@")[0]  # "Pick up by "
    assert pickup_by not in now["text"] and f"o:{order_id}:pickup" not in buttons(now), (now["text"], buttons(now))


async def test_an_earlier_track_card_follows_the_order_and_the_pressed_one_is_edited_once(
        fake_bot_api, running_bot, services, campus, clock):  # noqa: F811
    """Two /track cards: Picked up pressed under the second. Before, the first kept Picked up and Release, which
    only were refused: only the details message and the pressed card were brought up to date. The pressed card is
    edited at once by the reply, and not again by the outbox."""
    fake = fake_bot_api
    services.throttle = None
    li, zhao, order_id, details = await grabbed(fake, services, campus, clock)
    first = await zhao.with_button(zhao.command("track", str(order_id)), f"o:{order_id}:pickup:card", "a first card")
    second = await zhao.with_button(zhao.command("track", str(order_id)), f"o:{order_id}:pickup:card", "a second")
    mark = zhao.press(second, f"o:{order_id}:pickup:card")
    await zhao.with_button(mark, f"o:{order_id}:deliver", "the picked-up answer")
    await all_delivered(fake, services)
    for card in (first, second):
        now_card = fake.messages[(zhao.id, card["message_id"])]
        assert f"o:{order_id}:deliver" in buttons(now_card), (now_card["text"], buttons(now_card))
        assert f"o:{order_id}:release" not in buttons(now_card)
    edits = [c for c in fake.calls("editMessageText", zhao.id) if c.params.get("message_id") == second["message_id"]]
    assert len(edits) == 1
