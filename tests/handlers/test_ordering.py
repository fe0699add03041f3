"""A student orders an errand: by text, by buttons, by shared location; bad answers change nothing."""
import datetime as dt
import re

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm.attributes import flag_modified

from core import ledger
from core.money import format_yuan
from storage.models import Conversation, Coupon, CouponRedemption, User
from storage.models import Order as OrderRow
from storage.uow import UnitOfWork
from tests.factories import CIPHER, make_runner, top_up
from tests.handlers.harness import keys

# A whole errand answered by typing, for the steps a parcel to a dorm room goes through.
PARCEL_TO_MY_ROOM = ["Parcel pickup", "快递站", "F3", "3-502", "5", "138 0013 8000", "Code 4-2-1187, a shoebox",
                     "2.5", "small", "now", "fragile", "Done", "Please hurry", "Anyone", "Skip", "2", "No coupon"]


async def started(chat, who, language="English"):
    await chat.send(who, "/start")
    await chat.press(who, language)


async def user_id(services, who):
    async with UnitOfWork(services.db, write=False) as uow:
        return await uow.session.scalar(select(User.id).where(User.external_id == who))


async def funded(chat, services, who, fen):
    await started(chat, who)
    uid = await user_id(services, who)
    if fen:
        await top_up(services.db, uid, fen, services.clock())
    return uid


async def conversation(services, who):
    async with UnitOfWork(services.db, write=False) as uow:
        conv = await uow.session.get(Conversation, ("console", who))
        return (conv.state, dict(conv.data)) if conv is not None else ("idle", {})  # never left idle: no row


async def orders_of(services, uid):
    async with UnitOfWork(services.db, write=False) as uow:
        return list(await uow.session.scalars(select(OrderRow).where(OrderRow.customer_id == uid).order_by(OrderRow.id)))


async def balances(services):
    async with UnitOfWork(services.db, write=False) as uow:
        return await uow.ledger.balances(), await uow.ledger.total()


async def answer_all(chat, who, answers):
    replies = []
    for answer in answers:
        replies = await chat.send(who, answer)
        assert not any(k.startswith("error-") for k in keys(replies)), (answer, [r.text for r in replies])
    return replies


async def refused(chat, services, who, send, key):
    """`send` is refused with `key` and the conversation stays exactly where it was."""
    before = await conversation(services, who)
    replies = await send()
    assert keys(replies) == [key], [r.text for r in replies]
    assert await conversation(services, who) == before
    return replies[0]


async def press_or_answer(chat, who, answers):
    """Each answer presses the button whose label starts with it, or is typed when there is none."""
    replies = []
    for answer in answers:
        labels = [c.label for r in chat.last[who] for c in r.flat_choices() if c.label.startswith(answer)]
        replies = await (chat.press(who, labels[0]) if labels else chat.send(who, answer))
    return replies


def quote_of(replies):
    [reply] = [r for r in replies if r.key == "order-quote"]
    return reply


async def test_a_whole_order_by_text_then_paid_from_the_wallet(chat, services, clock):
    alice = await funded(chat, services, "alice", 5000)
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]
    replies = await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    quote = quote_of(replies)
    assert [c.label for c in quote.flat_choices()] == ["Confirm", "Edit", "Cancel", "« Back"]
    assert "Parcel Station → Women's Dorm 3" in quote.text and "fragile" in quote.text

    # The quote's lines add up to the total it shows.
    amounts = [int(m[1] + m[2] + m[3]) for m in re.finditer(r"^.+: (-?)(\d+)\.(\d\d)$", quote.text, re.MULTILINE)]
    total = re.search(r"^Total: (\d+)\.(\d\d) yuan$", quote.text, re.MULTILINE)
    assert "Tip for the runner: 2.00" in quote.text
    assert amounts and sum(amounts) == int(total[1] + total[2])

    replies = await chat.send("alice", "Confirm")
    assert keys(replies) == ["order-created"]
    [order] = await orders_of(services, alice)
    assert replies[0].text == (f"Order #{order.id} is placed: {order.total // 100}.{order.total % 100:02d} yuan. "
                               "Please pay within 15 minutes. Your wallet: 50.00 yuan.")
    assert sum(line["amount"] for line in order.quote_lines) == order.total == int(total[1] + total[2])
    assert (order.status, order.task_type, order.pickup_building, order.dropoff_building) == (
        "awaiting_payment", "parcel", "parcel_station", "dorm_f3")
    assert (order.dropoff_floor, order.door_delivery, order.weight_g, order.size, order.tip) == (5, True, 2500, "small", 200)
    assert (order.tags, CIPHER.decrypt(order.notes_enc), CIPHER.decrypt(order.description_enc)) == (
        ["fragile"], "Please hurry", "Code 4-2-1187, a shoebox")
    assert order.window_start is None and order.gender_preference is None and order.coupon_code is None
    assert order.pay_by == clock.now + dt.timedelta(minutes=15)
    assert CIPHER.decrypt(order.room_enc) == "3-502" and CIPHER.decrypt(order.phone_enc) == "13800138000"

    replies = await chat.press("alice", "Pay with wallet")
    assert keys(replies) == ["wallet-paid"]
    [order] = await orders_of(services, alice)
    assert order.status == "open"
    accounts, grand_total = await balances(services)
    assert accounts[ledger.customer(alice)] == 5000 - order.total
    assert accounts[ledger.escrow(order.id)] == order.total
    assert grand_total == 0
    assert (await conversation(services, "alice"))[0] == "idle"


async def test_a_whole_order_by_buttons(chat, services, clock):
    bob = await funded(chat, services, "bob", 5000)
    await chat.press("bob", "New errand")  # the main menu's button
    await chat.press("bob", "Buy for me")
    replies = await chat.press("bob", "Campus Supermarket")
    assert keys(replies) == ["order-ask-dropoff"] and replies[0].request_location
    await chat.send("bob", "Lib")  # a short name
    await chat.press("bob", "Skip")  # no phone
    replies = await chat.send("bob", "Two bottles of water")
    assert keys(replies) == ["order-ask-goods"]
    await chat.press("bob", "50.00 yuan")  # the money for the goods
    await chat.press("bob", "1 kg")
    await chat.press("bob", "Medium (a box)")
    replies = await chat.press("bob", "In 1 h (11:00–12:00)")
    assert [c.label for c in replies[0].flat_choices()][:2] == ["○ don't knock", "○ fragile"]
    replies = await chat.press("bob", "○ don't knock")
    assert replies[0].edit and "✓ don't knock" in [c.label for c in replies[0].flat_choices()]
    await chat.press("bob", "Done")
    await chat.press("bob", "Skip")  # notes
    await chat.press("bob", "Female runner")
    await chat.press("bob", "Skip")  # favourite runner
    await chat.press("bob", "1.00 yuan")
    replies = await chat.press("bob", "No coupon")
    quote = quote_of(replies).text
    assert "between 11:00 and 12:00" in quote
    assert "Money for the goods (at most; what is not spent comes back): 50.00" in quote
    assert quote.count("Money for the goods") == 1  # on the bill only
    assert keys(await chat.press("bob", "Confirm")) == ["order-created"]
    [order] = await orders_of(services, bob)
    assert (order.task_type, order.pickup_building, order.dropoff_building, order.door_delivery) == (
        "buy", "supermarket", "library", False)
    # The goods money is paid with the order, apart from the service: no commission or share is taken from it.
    assert order.goods == 5000 and order.total == order.service_fee + order.tip + 5000
    assert order.runner_share == order.service_fee - order.commission + order.tip
    assert (order.size, order.weight_g, order.tip, order.gender_preference, order.tags) == (
        "medium", 1000, 100, "female", ["no_knock"])
    assert order.window_start == clock.now + dt.timedelta(hours=1)
    assert order.window_end == clock.now + dt.timedelta(hours=2)
    assert order.phone_enc is None and order.room_enc is None


async def test_places_by_shared_location(chat, services):
    carol = await funded(chat, services, "carol", 0)
    await chat.send("carol", "/order")
    await chat.send("carol", "Parcel pickup")
    reply = await refused(chat, services, "carol", lambda: chat.share_location("carol", 0.0, 0.0),
                          "error-place-off-campus")  # nowhere near campus
    assert reply.text == "That location is outside the campus. Pick a building or type its name."
    reply = await refused(chat, services, "carol", lambda: chat.share_location("carol", 30.2575, 120.1225),
                          "error-place-near-no-building")  # among the buildings, near none of them
    assert reply.text == "That location is not near any building. Pick a building or type its name."
    await chat.share_location("carol", 30.25951, 120.11899)  # at the parcel station
    replies = await chat.share_location("carol", 30.26212, 120.12152)  # at men's dorm 1
    assert keys(replies) == ["order-ask-room"] and "Men's Dorm 1" in replies[0].text
    await answer_all(chat, "carol", ["Meet me at the entrance", "Skip", "A letter", "0.2", "small", "now", "Done",
                                     "Skip", "Anyone", "Skip", "0", "No coupon", "Confirm"])
    [order] = await orders_of(services, carol)
    assert (order.pickup_building, order.dropoff_building, order.door_delivery) == ("parcel_station", "dorm_m1", False)


async def test_queue_and_custom_errands_may_skip_the_pickup(chat, services):
    dave = await funded(chat, services, "dave", 0)
    await chat.send("dave", "/order")
    replies = await chat.send("dave", "Queue for me")
    # Said once how to answer: the place's name or a location, or skip.
    assert [r.text for r in replies if r.key == "order-ask-pickup"] == [
        "Where is the queue? You can skip this. Send a building name or short name, or share your location."]
    await chat.press("dave", "No particular place")
    await answer_all(chat, "dave", ["Canteen 1", "Skip", "Lunch at window 3", "90", "now", "Done", "Skip", "Anyone",
                                    "Skip", "0"])
    replies = await chat.send("dave", "No coupon")
    assert "Queueing 90 min: 6.00" in quote_of(replies).text
    await chat.send("dave", "Confirm")
    [order] = await orders_of(services, dave)
    assert (order.task_type, order.pickup_building, order.weight_g) == ("queue", None, 0)
    assert order.queue_minutes == 90


async def test_a_queue_errands_expected_queueing_is_shown_to_whoever_may_take_it(chat, services, db, campus):
    # Before, it was priced and then forgotten: neither the hall nor the runner's details said how long it would take.
    dave = await funded(chat, services, "dave", 5000)
    await chat.send("dave", "/order")
    await chat.send("dave", "Queue for me")
    await chat.press("dave", "No particular place")
    await answer_all(chat, "dave", ["Canteen 1", "Skip", "Lunch at window 3", "45", "now", "Done", "Skip", "Anyone",
                                    "Skip", "0", "No coupon", "Confirm"])
    assert keys(await chat.press("dave", "Pay with wallet")) == ["wallet-paid"]
    [order] = await orders_of(services, dave)
    (post,) = [m["text"] for m in await chat.inbox("hall:demo") if m["key"] == "hall-card"]
    assert "预计排队：约 45 分钟" in post.splitlines()  # the hall reads the campus's Chinese
    from tests.handlers.test_runner import runner  # it imports this module

    await runner(db, campus, services.clock(), "rob")
    assert keys(await chat.press("rob", f"data:g:{order.id}", chat="hall:demo"))[0] == "grab-won"
    (details,) = [m["text"] for m in await chat.inbox("rob") if m["key"] == "notice-you-won"]
    assert "Queueing expected: about 45 min" in details.splitlines()


async def test_back_from_the_quote_changes_the_tip_and_keeps_the_rest_of_the_draft(chat, services):
    alice = await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    replies = await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    assert "Tip for the runner: 2.00" in quote_of(replies).text
    replies = await chat.press("alice", "« Back")
    assert keys(replies) == ["order-ask-coupon"] and replies[0].edit  # in the quote's place: its buttons go with it
    replies = await chat.send("alice", "« Back")  # typed, as any button's label
    assert keys(replies) == ["order-ask-tip"] and not replies[0].edit
    state, data = await conversation(services, "alice")
    assert state == "order.tip" and "coupon" not in data
    assert (data["task"], data["dropoff"], data["floor"], CIPHER.decrypt(data["description_enc"])) == (
        "parcel", "dorm_f3", 5, "Code 4-2-1187, a shoebox")
    replies = await answer_all(chat, "alice", ["5", "No coupon"])
    quote = quote_of(replies)
    assert "Tip for the runner: 5.00" in quote.text and "Parcel Station → Women's Dorm 3" in quote.text
    [back] = [c for c in quote.flat_choices() if c.label == "« Back"]
    assert keys(await chat.send("alice", "Confirm")) == ["order-created"]
    [order] = await orders_of(services, alice)
    assert (order.tip, order.dropoff_floor, order.weight_g, order.tags, CIPHER.decrypt(order.notes_enc)) == (
        500, 5, 2500, ["fragile"], "Please hurry")
    assert CIPHER.decrypt(order.room_enc) == "3-502" and CIPHER.decrypt(order.phone_enc) == "13800138000"

    # The quote's Back, pressed once the order is placed, is refused and changes nothing.
    reply = await refused(chat, services, "alice", lambda: chat.press("alice", f"data:{back.data}"),
                          "error-stale-choice")
    assert reply.text == "That button is from an earlier message and no longer works."
    assert len(await orders_of(services, alice)) == 1


def cleared(reply, message: str, question) -> bool:
    """The reply replaces the question's message with its text alone: the step's buttons are gone."""
    return (reply.replaces, reply.text, reply.choices, reply.edit) == (message, question.text, (), False)


async def test_a_form_question_loses_its_buttons_once_its_step_is_over_but_not_while_it_waits(chat, services):
    """Where the channel says which message shows a question (as Telegram does), that message is replaced by its
    text alone once its step is over: answered by typing or by one of its buttons (the next question comes below),
    or the form left; a refused answer or a command that leaves the form waiting changes nothing."""
    await funded(chat, services, "erin", 0)
    (types,) = await chat.send("erin", "/order")
    await chat.shown("erin", types, "10")
    replies = await chat.send("erin", "Parcel pickup")  # its button's label, typed
    assert keys(replies) == ["order-ask-pickup", "order-ask-type"] and cleared(replies[1], "10", types)
    pickup = replies[0]
    await chat.shown("erin", pickup, "11")
    replies = await chat.send("erin", "Parcel Station")  # the place question, with its location button
    assert keys(replies) == ["order-ask-dropoff", "order-ask-pickup"] and cleared(replies[1], "11", pickup)
    assert replies[0].location_done is False and replies[0].request_location  # the location keyboard is its own
    (floor,) = await answer_all(chat, "erin", ["F3", "3-502"])  # questions the channel did not say it showed
    await chat.shown("erin", floor, "12")

    await refused(chat, services, "erin", lambda: chat.send("erin", "99"), "error-floor-range")  # still waits
    assert keys(await chat.send("erin", "/help")) == ["help-student"]  # the form waits for the floor all the same
    [fifth] = [c.data for c in floor.flat_choices() if c.label == "5F"]
    replies = await chat.press("erin", f"data:{fifth}", message="12")  # pressed: the phone question comes below
    assert keys(replies) == ["order-ask-phone", "order-ask-floor"] and cleared(replies[1], "12", floor)

    phone = replies[0]
    await chat.shown("erin", phone, "13")
    replies = await chat.send("erin", "/cancel")
    assert keys(replies) == ["order-form-abandoned", "order-ask-phone"] and cleared(replies[1], "13", phone)
    assert keys(await chat.send("erin", "/help")) == ["help-student"]  # cleared once: nothing more to replace


async def test_a_form_question_answered_in_its_place_is_not_replaced_again(chat, services):
    """A press whose answer takes the pressed question's place (a tag chosen, Back) replaces nothing more; the quote
    confirmed by typing loses its buttons, and so does a question a new form leaves behind."""
    await funded(chat, services, "erin", 0)
    await chat.send("erin", "/order")
    (tags,) = await answer_all(chat, "erin", PARCEL_TO_MY_ROOM[:10])
    assert tags.key == "order-ask-tags"
    await chat.shown("erin", tags, "20")
    (tags,) = await chat.press("erin", "○ fragile", message="20")
    assert tags.edit and tags.replaces is None
    await chat.shown("erin", tags, "20")  # the channel edited the question there
    (window,) = await chat.press("erin", "« Back", message="20")
    assert (window.key, window.edit) == ("order-ask-window", True)
    await chat.shown("erin", window, "20")
    replies = await chat.send("erin", "now")
    assert keys(replies) == ["order-ask-tags", "order-ask-window"] and cleared(replies[1], "20", window)

    quote = quote_of(await answer_all(chat, "erin", PARCEL_TO_MY_ROOM[11:]))
    await chat.shown("erin", quote, "30")
    replies = await chat.send("erin", "Confirm")
    assert keys(replies) == ["order-created", "order-quote"] and cleared(replies[1], "30", quote)

    (types,) = await chat.send("erin", "/order")
    await chat.shown("erin", types, "40")
    replies = await chat.send("erin", "/order")  # a new form: the old one's question is over
    assert keys(replies) == ["order-ask-type", "order-ask-type"] and cleared(replies[1], "40", types)
    types = replies[0]
    await chat.shown("erin", types, "41")
    replies = await chat.send("erin", "/language")  # the form waits, but its question is asked again once chosen
    assert keys(replies) == ["start-pick-language", "order-ask-type"] and cleared(replies[1], "41", types)
    assert keys(await chat.press("erin", "English")) == ["start-language-set", "order-ask-type"]


async def test_back_goes_through_every_earlier_question_that_applies_and_forgets_the_later_answers(chat, services):
    dave = await funded(chat, services, "dave", 0)
    await chat.send("dave", "/order")
    await answer_all(chat, "dave", ["Parcel pickup", "快递站", "F3", "3-502", "5", "Skip", "A heavy box", "10"])
    asked = []
    for _ in range(8):
        replies = await chat.press("dave", "« Back")
        assert [r.edit for r in replies if r.key.startswith("order-ask")] == [True]
        asked += [r.key for r in replies if r.key.startswith("order-ask")]
    assert asked == ["order-ask-weight", "order-ask-description", "order-ask-phone", "order-ask-floor",
                     "order-ask-room", "order-ask-dropoff", "order-ask-pickup", "order-ask-type"]
    type_question = chat.last["dave"][-1]
    assert "« Back" not in [c.label for c in type_question.flat_choices()]  # the first question has no Back
    state, data = await conversation(services, "dave")
    assert state == "order.type" and data["task"] == "parcel"
    assert not {"pickup", "dropoff", "room_enc", "floor", "phone_enc", "description_enc", "weight_g"} & data.keys()

    # A Back forged onto the first question (with its current token) is refused like any button it never offered.
    token = type_question.flat_choices()[0].data.split(":")[1]
    await refused(chat, services, "dave", lambda: chat.press("dave", f"data:s:{token}:<"), "error-stale-choice")

    # Now a queue: the parcel's 10 kg, asked no more, is not priced.
    await chat.send("dave", "Queue for me")
    await chat.press("dave", "No particular place")
    replies = await answer_all(chat, "dave", ["Canteen 1", "Skip", "Lunch at window 3", "90", "now", "Done", "Skip",
                                              "Anyone", "Skip", "0", "No coupon"])
    assert "Extra weight" not in quote_of(replies).text
    await chat.send("dave", "Confirm")
    [order] = await orders_of(services, dave)
    assert (order.task_type, order.pickup_building, order.dropoff_building, order.weight_g) == (
        "queue", None, "canteen_1", 0)


async def test_back_is_offered_and_works_in_chinese_too(chat, services):
    await started(chat, "mei", "中文")
    await chat.send("mei", "/order")
    replies = await chat.press("mei", "代取快递")
    assert [c.label for c in replies[0].flat_choices()][-1] == "« 上一步"
    replies = await chat.press("mei", "« 上一步")
    assert [r.text for r in replies if r.key == "order-ask-type"] == ["要跑什么腿？"]


async def test_bad_answers_get_a_clear_reply_and_change_nothing(chat, services):
    await funded(chat, services, "erin", 0)
    await chat.send("erin", "/order")
    old_type_button = chat.last["erin"][0].flat_choices()[0]
    await chat.send("erin", "Parcel pickup")
    reply = await refused(chat, services, "erin", lambda: chat.send("erin", "Hogwarts"), "error-unknown-building")
    assert reply.text.startswith('I don\'t know the place "Hogwarts"')
    reply = await refused(chat, services, "erin", lambda: chat.press("erin", f"data:{old_type_button.data}"),
                          "error-stale-choice")
    assert reply.text == "That button is from an earlier message and no longer works."
    await answer_all(chat, "erin", ["Parcel Station", "Library", "Skip", "A box of books"])
    reply = await refused(chat, services, "erin", lambda: chat.send("erin", "-3"), "error-weight-negative")
    assert reply.text == "The weight cannot be negative."
    reply = await refused(chat, services, "erin", lambda: chat.send("erin", "abc"), "error-weight-format")
    assert reply.text == '"abc" is not a weight. Write kilograms, like 2.5.'
    reply = await refused(chat, services, "erin", lambda: chat.send("erin", "30"), "error-too-heavy")
    assert reply.text == "That is too heavy: at most 25 kg."
    await answer_all(chat, "erin", ["3", "small", "now", "Done"])
    reply = await refused(chat, services, "erin", lambda: chat.send("erin", "x" * 10_000), "error-text-too-long")
    assert reply.text == "That text is too long (10000 characters); at most 500."
    await answer_all(chat, "erin", ["Careful, heavy", "Anyone"])
    reply = await refused(chat, services, "erin", lambda: chat.send("erin", "Nobody Known"), "order-runner-unknown")
    assert reply.text == 'I know no approved runner called "Nobody Known" on this campus.'
    await chat.send("erin", "Skip")
    reply = await refused(chat, services, "erin", lambda: chat.send("erin", "100"), "error-tip-range")
    assert reply.text == "The tip must be between 0 and 50.00 yuan."
    await refused(chat, services, "erin", lambda: chat.send("erin", "lots"), "order-tip-format")


@pytest.mark.parametrize(("language", "not_read"), [
    ("English", "Photos are not read here: please type your answer (or write it as the photo's caption)."),
    ("中文", "这里不会读取图片内容，请直接输入文字回答（或写在图片的说明里）。"),
], ids=["en", "zh_CN"])
async def test_a_photo_in_the_form_answers_by_its_caption_and_without_one_is_asked_to_be_typed(chat, services,
                                                                                               language, not_read):
    """The parcel question asks for the pickup code, which students screenshot from the SMS and send with the code as
    caption: the caption answers. A photo alone is not read, and the student is told so before the question again."""
    await started(chat, "dora", language)
    await chat.send("dora", "/order")
    await chat.press("dora", "data:" + chat.last["dora"][0].flat_choices()[0].data)  # the parcel pickup
    for answer in ("快递站", "Lib"):
        await chat.send("dora", answer)
    assert keys(chat.last["dora"])[-1] == "order-ask-phone"
    assert keys(await chat.send("dora", "-")) == ["order-ask-description"]  # no phone

    replies = await chat.photo("dora", "sms-screenshot")
    assert keys(replies) == ["order-photo-not-read", "order-ask-description"]
    assert replies[0].text == not_read

    replies = await chat.photo("dora", "sms-screenshot", caption="Code 4-2-1187")
    assert keys(replies)[-1] == "order-ask-weight"
    state, data = await conversation(services, "dora")
    assert services.cipher.decrypt(data["description_enc"]) == "Code 4-2-1187"


async def test_a_favourite_runner_by_name_or_handle(chat, services, clock, campus):
    from core.campus import Gender

    runner = await make_runner(services.db, campus, clock.now, gender=Gender.male)
    async with UnitOfWork(services.db) as uow:
        user = await uow.session.get(User, runner)
        user.display_name, handle = "Xiao Wang", user.external_id
    frank = await funded(chat, services, "frank", 0)
    await chat.send("frank", "/order")
    await answer_all(chat, "frank", ["Deliver an item", "Library", "Gym", "Skip", "A racket", "1", "small", "now",
                                     "Done", "Skip", "Anyone"])
    reply = await refused(chat, services, "frank", lambda: chat.send("frank", "xiao li"), "order-runner-unknown")
    assert reply.text == 'I know no approved runner called "xiao li" on this campus.'
    await answer_all(chat, "frank", [f"@{handle}", "0"])
    replies = await chat.send("frank", "No coupon")
    assert "Offered first to Xiao Wang" in quote_of(replies).text
    await chat.send("frank", "Confirm")
    [order] = await orders_of(services, frank)
    assert order.favourite_runner_id == runner


async def test_a_favourite_runner_of_the_other_gender_is_taken_like_any_so_no_reply_tells_their_gender(
        chat, services, clock, campus):
    """A male runner named under "Female runner" is taken as under "Anyone": before, he was refused (in words that
    said only "no such runner, or not of that gender"), and then accepted once the student chose "Anyone", which told
    the student he exists and is male. Whether he may take the order is dispatch's to say, at payment (test_hall)."""
    from core.campus import Gender

    runner = await make_runner(services.db, campus, clock.now, gender=Gender.male)
    async with UnitOfWork(services.db) as uow:
        (await uow.session.get(User, runner)).display_name = "Xiao Wang"
    frank = await funded(chat, services, "frank", 0)
    await chat.send("frank", "/order")
    await answer_all(chat, "frank", ["Deliver an item", "Library", "Gym", "Skip", "A racket", "1", "small", "now",
                                     "Done", "Skip", "Female runner"])
    nobody = await refused(chat, services, "frank", lambda: chat.send("frank", "xiao li"), "order-runner-unknown")
    assert nobody.text == 'I know no approved runner called "xiao li" on this campus.'  # no runner at all, as ever
    assert keys(await chat.send("frank", "xiao wang")) == ["order-ask-tip"]
    await answer_all(chat, "frank", ["0"])
    replies = await chat.send("frank", "No coupon")
    assert "Offered first to Xiao Wang" in quote_of(replies).text
    await chat.send("frank", "Confirm")
    [order] = await orders_of(services, frank)
    assert (order.favourite_runner_id, order.gender_preference) == (runner, "female")


async def test_preferences_are_remembered_for_the_next_order(chat, services):
    alice = await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM, "Confirm"])
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", ["Parcel pickup", "快递站"])
    replies = await chat.send("alice", "F3")
    assert "Use 3-502" in [c.label for c in replies[0].flat_choices()]
    replies = await chat.press("alice", "Use 3-502")
    replies = await chat.send("alice", "5")
    assert "Use •••••••8000" in [c.label for c in replies[0].flat_choices()]
    await chat.press("alice", "Use •••••••8000")
    replies = await answer_all(chat, "alice", ["Books", "1", "small", "now"])
    assert [c.label for c in replies[0].flat_choices()][:2] == ["○ don't knock", "✓ fragile"]
    await chat.press("alice", "✓ fragile")  # not this time: remembered as no tags
    await answer_all(chat, "alice", ["Done", "Skip", "Anyone", "Skip", "0", "No coupon", "Confirm"])
    _, second = await orders_of(services, alice)
    assert CIPHER.decrypt(second.room_enc) == "3-502" and CIPHER.decrypt(second.phone_enc) == "13800138000"
    assert second.tags == []
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(User, alice)).preference_tags == []


async def test_phone_and_room_are_never_stored_in_plain_text(chat, services):
    await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    await chat.send("alice", "Confirm")
    await chat.send("alice", "/order")

    async def nothing_in_clear() -> None:
        async with UnitOfWork(services.db, write=False) as uow:
            for table in ("users", "orders", "conversations", "outbox"):
                for row in (await uow.session.execute(text(f"SELECT * FROM {table}"))).all():
                    dumped = " ".join(str(v) for v in row)
                    assert "3-502" not in dumped and "13800138000" not in dumped, table

    replies = await answer_all(chat, "alice", ["Parcel pickup", "快递站", "F3"])
    assert "Use 3-502" in [c.label for c in replies[0].flat_choices()]
    await nothing_in_clear()  # the question waiting with its saved-room button
    await answer_all(chat, "alice", ["Use 3-502", "5"])  # and the phone's, masked
    await nothing_in_clear()


async def test_edit_starts_again_and_cancel_orders_nothing(chat, services):
    alice = await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    assert keys(await chat.send("alice", "Edit")) == ["order-ask-type"]
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    replies = await chat.press("alice", "Cancel")
    assert keys(replies) == ["order-draft-cancelled", "menu-title"]
    assert await orders_of(services, alice) == []


async def test_a_bare_cancel_leaves_the_order_form_and_its_location_button(chat, services):
    alice = await funded(chat, services, "alice", 0)
    assert keys(await chat.send("alice", "/cancel")) == ["track-need-number"]  # no form going on: which order?
    await chat.send("alice", "/order")
    assert (await chat.press("alice", "Parcel pickup"))[0].request_location
    # With a number it is about that order, and the form stays where it was.
    await refused(chat, services, "alice", lambda: chat.send("alice", "/cancel 99"), "error-order-not-found")

    replies = await chat.send("alice", "/cancel")
    assert keys(replies) == ["order-form-abandoned"] and replies[0].location_done
    assert "/order" in replies[0].text  # how to start again
    assert (await conversation(services, "alice"))[0] == "idle"
    assert keys(await chat.send("alice", "快递站")) == ["idle-hint", "menu-title"]  # no longer the pickup's answer
    assert keys(await chat.send("alice", "/cancel")) == ["track-need-number"]
    assert await orders_of(services, alice) == []


async def add_coupon(services, clock, code, **kw):
    values = {"code": code, "campus_id": "demo", "amount_off": 300, "valid_from": clock.now - dt.timedelta(days=1),
              "valid_until": clock.now + dt.timedelta(days=7), "max_uses": 100, "per_user": 1}
    async with UnitOfWork(services.db) as uow:
        uow.session.add(Coupon(**{**values, **kw}))


async def test_a_coupon_is_paid_by_marketing_and_counted_once_paid(chat, services, clock):
    await add_coupon(services, clock, "WELCOME3")
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    replies = await chat.send("alice", "welcome3")
    assert "Coupon WELCOME3: -3.00" in quote_of(replies).text
    await chat.send("alice", "Confirm")
    [order] = await orders_of(services, alice)
    assert order.discount == 300 and order.coupon_code == "WELCOME3"
    assert order.total == order.service_fee + order.tip - 300
    await chat.press("alice", "Pay with wallet")
    accounts, grand_total = await balances(services)
    assert accounts[ledger.MARKETING] == -300
    assert accounts[ledger.customer(alice)] == 5000 - order.total
    assert accounts[ledger.escrow(order.id)] == order.total + 300 and grand_total == 0
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(Coupon, "WELCOME3")).used == 1
        [redemption] = (await uow.session.scalars(select(CouponRedemption))).all()
        assert (redemption.user_id, redemption.order_id) == (alice, order.id)

    # Once per student.
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    reply = await refused(chat, services, "alice", lambda: chat.send("alice", "WELCOME3"), "order-coupon-already-used")
    assert reply.text == "You have already used coupon WELCOME3."


async def test_expired_unknown_and_used_up_coupons_are_refused(chat, services, clock):
    await add_coupon(services, clock, "OLD", valid_until=clock.now - dt.timedelta(hours=1))
    await add_coupon(services, clock, "GONE", max_uses=1, used=1)
    await add_coupon(services, clock, "BIG", min_spend=5000)
    await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    reply = await refused(chat, services, "alice", lambda: chat.send("alice", "OLD"), "order-coupon-expired")
    assert reply.text == "Coupon OLD is not valid now."
    reply = await refused(chat, services, "alice", lambda: chat.send("alice", "GONE"), "order-coupon-used-up")
    assert reply.text == "Coupon GONE has been used up."
    await refused(chat, services, "alice", lambda: chat.send("alice", "NOPE"), "order-coupon-unknown")
    reply = await refused(chat, services, "alice", lambda: chat.send("alice", "BIG"), "order-coupon-min-spend")
    assert reply.text == "Coupon BIG needs a service fee of at least 50.00 yuan."


async def test_a_coupon_that_takes_nothing_off_by_confirmation_is_not_used_up(chat, services, clock):
    clock.advance(hours=2, minutes=50)  # Monday 12:50: the lunch peak's fee, until 13:00
    bob = await funded(chat, services, "bob", 0)
    await chat.send("bob", "/order")
    await answer_all(chat, "bob", [*PARCEL_TO_MY_ROOM, "Confirm"])
    [peak] = await orders_of(services, bob)
    await add_coupon(services, clock, "LUNCH", min_spend=peak.service_fee)  # only fees as high as the peak's
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    assert "Coupon LUNCH: -3.00" in quote_of(await chat.send("alice", "LUNCH")).text
    clock.advance(minutes=15)  # the peak is over: the fee is below the coupon's minimum
    again = quote_of(await chat.send("alice", "Confirm"))
    assert "Coupon LUNCH:" not in again.text
    assert again.text.endswith(f"Coupon LUNCH needs a service fee of at least {format_yuan(peak.service_fee)} yuan.")
    await chat.send("alice", "Confirm")
    [order] = await orders_of(services, alice)
    assert (order.discount, order.coupon_code) == (0, None)
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(Coupon, "LUNCH")).used == 0
    # Her one use is still hers, for a fee it takes something off.
    clock.advance(days=1, minutes=-15)  # Tuesday 12:50
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    assert "Coupon LUNCH: -3.00" in quote_of(await chat.send("alice", "LUNCH")).text


async def test_outside_service_hours_new_orders_are_refused(chat, services, clock):
    await funded(chat, services, "alice", 0)
    clock.advance(hours=13, minutes=45)  # Monday 23:45: closed, and nothing later today
    replies = await chat.send("alice", "/order")
    assert keys(replies) == ["order-closed"]
    assert replies[0].text == "Sorry, we are closed. Service hours: Mon–Fri 07:00–23:30; Sat–Sun 08:00–24:00."
    assert (await conversation(services, "alice"))[0] == "idle"


async def test_before_opening_an_errand_may_be_scheduled_inside_the_hours(chat, services, clock):
    alice = await funded(chat, services, "alice", 0)
    clock.advance(hours=20, minutes=30)  # Tuesday 06:30, opens at 07:00
    replies = await chat.send("alice", "/order")
    assert keys(replies) == ["order-closed-now", "order-ask-type"]
    replies = await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:9])
    labels = [c.label for c in replies[0].flat_choices()]
    assert labels == ["In 1 h (07:30–08:30)", "In 2 h (08:30–09:30)", "This evening (18:00–20:00)", "« Back"]
    await refused(chat, services, "alice", lambda: chat.send("alice", "now"), "order-closed")
    early = await refused(chat, services, "alice", lambda: chat.send("alice", "06:45"), "order-window-outside-hours")
    assert early.text == ("06:45 is outside the service hours (Mon–Fri 07:00–23:30; Sat–Sun 08:00–24:00). "
                          "Please choose another time.")
    await chat.send("alice", "19:00-19:30")
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM[10:], "Confirm"])
    [order] = await orders_of(services, alice)
    assert order.window_start.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%a %H:%M") == "Tue 19:00"


@pytest.mark.parametrize("typed, window", [
    ("19:00-20:30", "19:00–20:30"), ("19:30", "19:30–20:30"), ("11：30", "11:30–12:30"),
    ("19:00到20:00", "19:00–20:00"), ("19:00 - 20:00", "19:00–20:00"), ("19:00—20:00", "19:00–20:00"),
    ("19:00～20:00", "19:00–20:00"), ("19:00 至 20:00", "19:00–20:00"), ("19：00－20：00", "19:00–20:00"),
])
async def test_a_time_is_read_as_any_keyboard_types_it(chat, services, typed, window):
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM[:9], typed, *PARCEL_TO_MY_ROOM[10:], "Confirm"])
    [order] = await orders_of(services, alice)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert f"{order.window_start.astimezone(shanghai):%H:%M}–{order.window_end.astimezone(shanghai):%H:%M}" == window


async def test_the_chinese_conversation(chat, services):
    await started(chat, "mei", "中文")
    replies = await chat.send("mei", "/order")
    assert replies[0].text == "要跑什么腿？"
    assert [c.label for c in replies[0].flat_choices()][:2] == ["代取快递", "帮我买"]
    await chat.press("mei", "代取快递")
    reply = await refused(chat, services, "mei", lambda: chat.send("mei", "霍格沃茨"), "error-unknown-building")
    assert reply.text == "找不到地点“霍格沃茨”。请输入楼名、简称，或发送位置。"


async def test_a_quote_that_went_stale_is_shown_again_before_ordering(chat, services, clock):
    alice = await funded(chat, services, "alice", 0)
    clock.advance(hours=1, minutes=20)  # 11:20; lunch peak starts 11:30
    await chat.send("alice", "/order")
    first = quote_of(await answer_all(chat, "alice", PARCEL_TO_MY_ROOM))
    assert "Peak hours" not in first.text
    clock.advance(minutes=15)
    replies = await chat.send("alice", "Confirm")
    again = quote_of(replies)
    assert again.text.startswith("The price has changed") and "Peak hours 11:30–13:00: 1.00" in again.text
    assert await orders_of(services, alice) == []
    await chat.press("alice", "Confirm")
    [order] = await orders_of(services, alice)
    assert any(line["key"] == "price-peak" for line in order.quote_lines)


async def test_a_window_that_passed_while_the_quote_waited_is_refused(chat, services, clock):
    alice = await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM[:9], "In 1 h (11:00–12:00)", *PARCEL_TO_MY_ROOM[10:]])
    clock.advance(hours=3)
    await refused(chat, services, "alice", lambda: chat.send("alice", "Confirm"), "order-window-passed")
    assert await orders_of(services, alice) == []


async def test_a_window_button_pressed_after_its_time_asks_again_with_the_windows_there_are_now(chat, services, clock):
    # Before, it was taken, and only Confirm, eight questions on, said the time had passed.
    await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:9])
    clock.advance(hours=3)  # 13:00
    replies = await chat.press("alice", "In 1 h (11:00–12:00)")
    assert keys(replies) == ["order-window-past", "order-ask-window"]
    assert replies[0].text == "That time has already passed."
    assert "In 1 h (14:00–15:00)" in [c.label for c in replies[1].flat_choices()]
    assert (await conversation(services, "alice"))[1].get("window_start") is None


async def test_the_menu_buttons(chat, services):
    await funded(chat, services, "alice", 0)
    for label, command in (("My orders", "/orders"), ("Help", "/help"), ("Wallet", "/wallet")):
        await chat.send("alice", "/menu")
        pressed = await chat.press("alice", label)
        assert [r.text for r in pressed] == [r.text for r in await chat.send("alice", command)], label
    await chat.send("alice", "/menu")
    assert keys(await chat.press("alice", "New errand")) == ["order-ask-type"]


def test_service_hours_past_midnight_belong_to_the_day_they_start(campus):
    from core.campus import ServiceWindow
    from handlers.ordering import in_service_hours

    late = campus.model_copy(update={"service_hours": (ServiceWindow(days=("fri",), start="20:00", end="02:00"),)})
    shanghai = dt.timezone(dt.timedelta(hours=8))

    def at(day, hour):  # 2026-11-27 is a Friday
        return dt.datetime(2026, 11, day, hour, 30, tzinfo=shanghai)

    assert [in_service_hours(late, at(27, 19)), in_service_hours(late, at(27, 21)), in_service_hours(late, at(28, 1)),
            in_service_hours(late, at(28, 2)), in_service_hours(late, at(27, 1))] == [False, True, True, False, False]


async def test_an_urgent_errand_carries_the_urgent_surcharge(chat, services, campus):
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    answers = list(PARCEL_TO_MY_ROOM)
    answers[answers.index("now")] = "urgent"
    quote = quote_of(await answer_all(chat, "alice", answers))
    assert "Urgent" in quote.text
    await chat.press("alice", "Confirm")
    [order] = await orders_of(services, alice)
    assert order.urgent
    urgent = [line for line in order.quote_lines if line["key"] == "price-urgent"]
    assert [line["amount"] for line in urgent] == [campus.pricing.urgent]
    await chat.press("alice", "Pay with wallet")
    (card,) = await chat.send("alice", f"/track {order.id}")
    assert "When: as soon as possible · URGENT" in card.text.splitlines()  # her card says what she paid extra for


async def test_where_there_is_no_urgent_surcharge_an_errand_cannot_be_made_urgent(db, campus, clock):
    # Before, "urgent" typed (or a forged button) made it URGENT in the hall, for nothing.
    from handlers.context import Services
    from tests.handlers.harness import Chat

    calm = campus.model_copy(update={"pricing": campus.pricing.model_copy(update={"urgent": 0})})
    services = Services(db=db, campuses={calm.id: calm}, cipher=CIPHER, clock=clock, channels=("console",))
    chat = Chat(services)
    await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    asked = await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:9])
    now = next(c.data for c in asked[0].flat_choices() if c.label == "Now")
    assert "urgent" not in " ".join(c.label.lower() for c in asked[0].flat_choices())
    await refused(chat, services, "alice", lambda: chat.send("alice", "urgent"), "order-window-format")
    forged = now.rsplit(":", 1)[0] + ":urgent"
    await refused(chat, services, "alice", lambda: chat.press("alice", f"data:{forged}"), "error-stale-choice")
    assert "urgent" not in (await conversation(services, "alice"))[1]


async def test_pressed_answers_to_the_quote_and_the_pay_button_replace_their_message(chat, services, clock):
    # Each answer takes the pressed message's place (Reply.edit), so its buttons cannot be pressed again.
    await funded(chat, services, "alice", 5000)
    clock.advance(hours=1, minutes=20)  # 11:20; lunch peak starts 11:30
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    clock.advance(minutes=15)
    replies = await chat.press("alice", "Confirm")  # the price changed meanwhile: the new quote replaces the old
    assert keys(replies) == ["order-quote"] and replies[0].edit
    assert replies[0].text.startswith("The price has changed")
    assert [c.label for c in replies[0].flat_choices()] == ["Confirm", "Edit", "Cancel", "« Back"]
    replies = await chat.press("alice", "Edit")
    assert keys(replies) == ["order-ask-type"] and replies[0].edit
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    replies = await chat.press("alice", "Cancel")
    assert keys(replies) == ["order-draft-cancelled", "menu-title"]
    assert [r.edit for r in replies] == [True, False]  # the menu comes below, as a message of its own
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    replies = await chat.press("alice", "Confirm")
    assert keys(replies) == ["order-created"] and replies[0].edit
    replies = await chat.press("alice", "Pay with wallet")
    assert keys(replies) == ["wallet-paid"] and replies[0].edit


async def test_typed_answers_to_the_quote_replace_nothing(chat, services):
    await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    replies = await chat.send("alice", "Cancel")
    assert keys(replies) == ["order-draft-cancelled", "menu-title"] and not any(r.edit for r in replies)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    replies = await chat.send("alice", "Confirm")
    assert keys(replies) == ["order-created"] and not replies[0].edit


async def test_moving_on_from_a_place_step_says_the_location_button_is_done(chat, services):
    await started(chat, "alice")
    await chat.send("alice", "/order")
    replies = await chat.press("alice", "Parcel pickup")
    assert replies[0].request_location and not any(r.location_done for r in replies)
    replies = await chat.press("alice", "Parcel Station")  # on to the drop-off, which offers the button again
    assert keys(replies) == ["order-ask-dropoff"] and replies[0].request_location and not replies[0].location_done
    await refused(chat, services, "alice", lambda: chat.send("alice", "Hogwarts"), "error-unknown-building")
    replies = await chat.send("alice", "F3")  # typed: on to the room, which asks for no location
    assert keys(replies) == ["order-ask-room"] and replies[0].location_done
    assert not (await chat.send("alice", "3-502"))[0].location_done  # only when leaving a place step

    await chat.send("alice", "/order")
    await chat.press("alice", "Parcel pickup")
    replies = await chat.send("alice", "/order")  # starting again while the pickup was asked for
    assert keys(replies) == ["order-ask-type"] and replies[0].location_done


async def test_the_phone_step_takes_the_students_own_shared_number_and_nobody_elses(chat, services):
    """The phone question offers the channel's "Share my phone number" button. The student's own contact card answers
    it as the number typed would (read the same way, stored encrypted, remembered); someone else's is refused and
    changes nothing; the button goes once the step is over, as a place question's location button does."""
    alice = await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    replies = await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:5])
    assert keys(replies) == ["order-ask-phone"] and replies[0].request_contact and not replies[0].request_location

    for owner in ("bob", None):  # a friend's card, or one of someone the channel does not know
        reply = await refused(chat, services, "alice", lambda o=owner: chat.share_contact(
            "alice", "+86 139 0000 0000", own=False, owner=o), "order-contact-not-yours")
        assert reply.text.startswith("That is someone else's contact card.") and not reply.location_done
    await refused(chat, services, "alice", lambda: chat.share_contact("alice", "call me"), "order-phone-format")

    replies = await chat.share_contact("alice", "+86 138-0013-8000")
    assert keys(replies) == ["order-ask-description"] and replies[0].location_done  # the button goes
    state, data = await conversation(services, "alice")
    assert CIPHER.decrypt(data["phone_enc"]) == "+8613800138000" and "8613800138000" not in str(data)
    async with UnitOfWork(services.db, write=False) as uow:
        assert CIPHER.decrypt((await uow.session.get(User, alice)).phone_enc) == "+8613800138000"  # remembered

    # A card where no step asks for one: the question again, nothing kept.
    replies = await chat.share_contact("alice", "+8613900000000")
    assert keys(replies) == ["order-ask-description"] and not replies[0].location_done
    again, asked = await conversation(services, "alice")
    assert again == state and asked["phone_enc"] == data["phone_enc"]

    # From a place question straight to the phone (a drop-off with no room): its button takes the location one's place.
    await chat.send("alice", "/order")
    replies = await answer_all(chat, "alice", ["Parcel pickup", "快递站", "Lib"])
    assert keys(replies) == ["order-ask-phone"] and replies[0].request_contact and not replies[0].location_done
    assert "Use ••••••••••8000" in [c.label for c in replies[0].flat_choices()]
    replies = await chat.send("alice", "/cancel")
    assert keys(replies) == ["order-form-abandoned"] and replies[0].location_done


async def test_a_contact_shared_with_nothing_asking_for_one_is_answered_and_kept_nowhere(chat, services):
    alice = await funded(chat, services, "alice", 0)
    replies = await chat.share_contact("alice", "+8613800138000")
    assert keys(replies) == ["order-contact-not-asked", "menu-title"]
    assert replies[0].text.startswith("Nothing here is asking for a phone number right now")
    async with UnitOfWork(services.db, write=False) as uow:
        assert (await uow.session.get(User, alice)).phone_enc is None
    state, data = await conversation(services, "alice")
    assert state == "idle" and not any(key.startswith("phone") for key in data)


async def test_superscript_and_circled_digits_are_refused_like_any_other_non_number(chat, services):
    await funded(chat, services, "fay", 0)
    reply = await refused(chat, services, "fay", lambda: chat.send("fay", "/track ²"), "error-order-number")
    assert reply.text == '"²" is not an order number. Write it like 12.'
    await refused(chat, services, "fay", lambda: chat.send("fay", "/cancel ③"), "error-order-number")
    await chat.send("fay", "/order")
    await answer_all(chat, "fay", PARCEL_TO_MY_ROOM[:4])
    reply = await refused(chat, services, "fay", lambda: chat.send("fay", "③"), "order-floor-format")
    assert reply.text == '"③" is not a floor number.'
    await answer_all(chat, "fay", ["５"])  # full-width digits, as a Chinese keyboard types them, are numbers
    assert (await conversation(services, "fay"))[1]["floor"] == 5
    await chat.send("fay", "/order")
    await chat.send("fay", "Queue for me")
    await chat.press("fay", "No particular place")
    await answer_all(chat, "fay", ["Canteen 1", "Skip", "Lunch at window 3"])
    await refused(chat, services, "fay", lambda: chat.send("fay", "①"), "error-queue-format")


async def test_superscript_digits_in_chinese(chat, services):
    await started(chat, "mei", "中文")
    reply = await refused(chat, services, "mei", lambda: chat.send("mei", "/track ①"), "error-order-number")
    assert reply.text == "“①”不是订单号，请输入数字，例如 12。"


async def test_a_weight_or_tip_written_with_an_exponent_is_refused(chat, services):
    await funded(chat, services, "gus", 0)
    await chat.send("gus", "/order")
    await answer_all(chat, "gus", ["Parcel pickup", "Parcel Station", "Library", "Skip", "A box of books"])
    reply = await refused(chat, services, "gus", lambda: chat.send("gus", "1e1"), "error-weight-format")
    assert reply.text == '"1e1" is not a weight. Write kilograms, like 2.5.'
    await answer_all(chat, "gus", ["3", "small", "now", "Done", "Careful, heavy", "Anyone", "Skip"])
    reply = await refused(chat, services, "gus", lambda: chat.send("gus", "1e1"), "order-tip-format")
    assert reply.text == '"1e1" is not an amount. Write yuan, like 2 or 2.50.'


async def test_a_tip_written_with_an_exponent_is_refused_in_chinese(chat, services):
    await started(chat, "mei", "中文")
    await chat.send("mei", "/order")
    await chat.press("mei", "代取快递")
    replies = await press_or_answer(chat, "mei", ["快递站", "图书馆", "跳过", "一箱书", "3", "小件", "现在", "完成",
                                                  "小心轻放", "不限", "跳过"])
    assert keys(replies) == ["order-ask-tip"], [r.text for r in replies]
    reply = await refused(chat, services, "mei", lambda: chat.send("mei", "1e1"), "order-tip-format")
    assert reply.text == "“1e1”不是金额，请输入元，例如 2 或 2.50。"


async def test_changing_language_in_the_middle_of_the_form_asks_the_same_question_in_the_new_one(chat, services):
    await started(chat, "hans")
    await chat.send("hans", "/order")
    await answer_all(chat, "hans", ["Parcel pickup", "Parcel Station"])
    await chat.send("hans", "/language")
    replies = await chat.press("hans", "中文")
    assert [r.text for r in replies] == ["已切换为中文。", "送到哪里？请输入楼名或简称，或发送位置。"]
    await chat.send("hans", "图书馆")
    await chat.send("hans", "/lang")
    replies = await chat.press("hans", "English")
    assert keys(replies) == ["start-language-set", "order-ask-phone"]
    assert replies[0].text == "Language set to English."
    assert [c.label for c in replies[1].flat_choices()] == ["Skip", "« Back"]
    state, data = await conversation(services, "hans")
    assert (state, data["task"], data["pickup"], data["dropoff"]) == ("order.phone", "parcel", "parcel_station",
                                                                      "library")


async def language_of(services, who):
    async with UnitOfWork(services.db, write=False) as uow:
        return await uow.session.scalar(select(User.language).where(User.external_id == who))


async def test_language_at_a_quote_whose_coupon_was_used_up_since_asks_for_a_coupon_again(chat, services, clock):
    await add_coupon(services, clock, "LAST", max_uses=1)
    await funded(chat, services, "hans", 0)
    await chat.send("hans", "/order")
    replies = await answer_all(chat, "hans", [*PARCEL_TO_MY_ROOM[:-1], "LAST"])
    assert "Coupon LAST: -3.00" in quote_of(replies).text
    async with UnitOfWork(services.db) as uow:  # someone else took the last one meanwhile
        (await uow.session.get(Coupon, "LAST")).used = 1
    await chat.send("hans", "/language")
    replies = await chat.press("hans", "中文")
    # The language is set, and the form goes back to the coupon, saying why, rather than keep her in the picker.
    assert [r.text for r in replies] == ["已切换为中文。", "优惠券 LAST 已被领完。", "有优惠券吗？发送券码，或跳过。"]
    assert await language_of(services, "hans") == "zh_CN"
    state, data = await conversation(services, "hans")
    assert state == "order.coupon" and "coupon" not in data
    replies = await chat.press("hans", "不用优惠券")
    assert "LAST" not in quote_of(replies).text
    assert keys(await chat.press("hans", "确认")) == ["order-created"]


async def test_language_at_a_question_the_form_cannot_ask_now_is_set_and_says_why(chat, services, clock):
    await funded(chat, services, "hans", 0)
    await chat.send("hans", "/order")
    await answer_all(chat, "hans", PARCEL_TO_MY_ROOM[:8])  # at the size, then the window
    await chat.send("hans", "small")
    clock.advance(hours=13, minutes=45)  # Monday 23:45: closed, and no window left today
    await chat.send("hans", "/language")
    replies = await chat.press("hans", "中文")
    assert [r.text for r in replies] == ["已切换为中文。", "抱歉，现在不在服务时间。服务时间：周一至周五 07:00–23:30；周六至周日 08:00–24:00。"]
    assert await language_of(services, "hans") == "zh_CN"
    assert (await conversation(services, "hans"))[0] == "order.window"  # the draft is kept


async def test_a_name_several_places_share_is_answered_with_a_few_of_them(chat, services):
    await funded(chat, services, "ivy", 0)
    await chat.send("ivy", "/order")
    await chat.send("ivy", "Parcel pickup")
    reply = await refused(chat, services, "ivy", lambda: chat.send("ivy", "dorm"), "error-building-ambiguous")
    assert reply.text == ("\"dorm\" could be several places. Did you mean: Men's Dorm 1, Men's Dorm 2, "
                          "Men's Dorm 3, Women's Dorm 1, …? Type more of the name.")


async def test_several_places_and_a_far_location_in_chinese(chat, services):
    await started(chat, "mei", "中文")
    await chat.send("mei", "/order")
    await chat.press("mei", "代取快递")
    reply = await refused(chat, services, "mei", lambda: chat.send("mei", "男生宿舍"), "error-building-ambiguous")
    assert reply.text == "“男生宿舍”可能指多个地点，你是指：男生宿舍1号楼、男生宿舍2号楼、男生宿舍3号楼？请输入更完整的名称。"
    reply = await refused(chat, services, "mei", lambda: chat.send("mei", "宿舍"), "error-building-ambiguous")
    assert reply.text == "“宿舍”可能指多个地点，你是指：男生宿舍1号楼、男生宿舍2号楼、男生宿舍3号楼、女生宿舍1号楼等？请输入更完整的名称。"
    reply = await refused(chat, services, "mei", lambda: chat.share_location("mei", 0.0, 0.0), "error-place-off-campus")
    assert reply.text == "这个位置不在校园内。请选择一栋楼，或输入楼名。"


async def test_skip_typed_at_the_coupon_question_skips_it_as_it_says(chat, services):
    """"Do you have a coupon? Send its code, or skip.": typing the word skip goes on to the quote, as it does on
    every other question offering Skip, rather than being looked up as a coupon code."""
    for who, language, answers, skip in (
            ("ann", "English", PARCEL_TO_MY_ROOM[:-1], "skip"),
            ("mei", "中文", ["代取快递", "快递站", "F3", "3-502", "5", "13800138000", "一个鞋盒", "2.5", "小件（一个袋子装得下）", "现在",
                            "完成", "跳过", "不限", "跳过", "2"], "跳过")):
        await started(chat, who, language)
        await chat.send(who, "/order")
        replies = await answer_all(chat, who, answers)
        assert keys(replies) == ["order-ask-coupon"]
        replies = await chat.send(who, skip)
        assert keys(replies) == ["order-quote"], [r.text for r in replies]
        assert (await conversation(services, who))[1]["coupon"] is None


async def test_the_goods_money_of_a_buy_task_is_asked_for_and_bad_amounts_change_nothing(chat, services):
    bob = await funded(chat, services, "bob", 0)
    await chat.send("bob", "/order")
    await answer_all(chat, "bob", ["Buy for me", "Supermarket", "Library", "Skip"])
    replies = await chat.send("bob", "A bag of apples")
    assert replies[0].text == (
        "How much money for the goods? Give the most they may cost (up to 300.00 yuan): you pay it with the order, "
        "the runner is paid back what they spend, and the rest comes back to your wallet.")
    reply = await refused(chat, services, "bob", lambda: chat.send("bob", "some"), "order-goods-format")
    assert reply.text == '"some" is not an amount for the goods. Write yuan, more than 0, like 30 or 12.50.'
    await refused(chat, services, "bob", lambda: chat.send("bob", "0"), "order-goods-format")
    reply = await refused(chat, services, "bob", lambda: chat.send("bob", "300.01"), "error-goods-range")
    assert reply.text == "The money for the goods may be at most 300.00 yuan."
    assert keys(await chat.send("bob", "¥35.5")) == ["order-ask-weight"]
    assert (await conversation(services, "bob"))[1]["goods"] == 3550
    # Back to the goods question, then back again to the item: the amount is asked for anew on the way forward.
    assert keys(await chat.press("bob", "« Back")) == ["order-ask-goods"]
    assert keys(await chat.press("bob", "« Back")) == ["order-ask-description"]
    assert "goods" not in (await conversation(services, "bob"))[1]
    await answer_all(chat, "bob", ["Apples", "20", "1", "small", "now", "Done", "Skip", "Anyone", "Skip", "0",
                                   "No coupon", "Confirm"])
    [order] = await orders_of(services, bob)
    assert (order.task_type, order.goods, order.total) == ("buy", 2000, order.service_fee + 2000)
    # Other errands are never asked for goods money.
    await chat.send("bob", "/order")
    replies = await answer_all(chat, "bob", ["Parcel pickup", "快递站", "Library", "Skip", "Code 1-1-1"])
    assert keys(replies) == ["order-ask-weight"]


@pytest.mark.parametrize("gone", ["used up", "stopped"])
async def test_confirm_after_the_coupon_went_says_why_and_asks_for_a_coupon_again(chat, services, clock, gone):
    # Before, every Confirm answered "used up" and the quote stayed, with nothing to do but cancel.
    await add_coupon(services, clock, "WELCOME3", max_uses=1)
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:-1])
    assert keys(await chat.send("alice", "WELCOME3"))[-1] == "order-quote"
    async with UnitOfWork(services.db) as uow:  # another student takes its last use, or an operator stops it
        values = {"used": 1} if gone == "used up" else {"valid_until": clock.now}
        await uow.session.execute(update(Coupon).where(Coupon.code == "WELCOME3").values(**values))
    replies = await chat.send("alice", "Confirm")
    refusal = "order-coupon-used-up" if gone == "used up" else "order-coupon-expired"
    assert keys(replies) == [refusal, "order-ask-coupon"]
    assert (await conversation(services, "alice"))[0] == "order.coupon"
    assert keys(await chat.send("alice", "No coupon"))[-1] == "order-quote"  # priced at full price this time
    assert keys(await chat.send("alice", "Confirm"))[0] == "order-created"
    assert len(await orders_of(services, alice)) == 1


async def draft_as_before_0016(services, who):
    """The draft as the code before migration 0016 stored it: its free text in clear, under the old names."""
    async with UnitOfWork(services.db) as uow:
        conv = await uow.session.get(Conversation, ("console", who))
        data = dict(conv.data)
        data["description"] = CIPHER.decrypt(data.pop("description_enc"))
        data["notes"] = CIPHER.decrypt(data.pop("notes_enc")) or ""
        conv.data = data
        flag_modified(conv, "data")


async def test_a_draft_begun_before_the_upgrade_is_placed_with_its_text_encrypted(chat, services):
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    await draft_as_before_0016(services, "alice")
    assert keys(await chat.send("alice", "Confirm")) == ["order-created"]
    [order] = await orders_of(services, alice)
    assert (CIPHER.decrypt(order.description_enc), CIPHER.decrypt(order.notes_enc)) == (
        "Code 4-2-1187, a shoebox", "Please hurry")


async def test_a_draft_begun_before_the_upgrade_whose_notes_are_skipped_again_keeps_no_notes(chat, services):
    # Before, the skip stored "no notes" under the new name, and the old clear notes came back from the old one.
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    assert "Please hurry" in quote_of(await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)).text
    await draft_as_before_0016(services, "alice")
    asked = []
    while "order-ask-notes" not in asked:
        asked = keys(await chat.press("alice", "« Back"))
    await chat.press("alice", "Skip")
    assert "notes" not in (await conversation(services, "alice"))[1]  # the clear text went with the answer
    quote = quote_of(await answer_all(chat, "alice", ["Anyone", "Skip", "2", "No coupon"]))
    assert "Please hurry" not in quote.text
    assert keys(await chat.send("alice", "Confirm")) == ["order-created"]
    [order] = await orders_of(services, alice)
    assert order.notes_enc is None


@pytest.mark.parametrize("typed, window", [("00:30", "00:30–01:30"), ("23:30-00:30", "23:30–00:30"),
                                           ("08:00", "08:00–09:00")])
async def test_a_time_after_midnight_is_tonights_when_the_hours_run_past_midnight(chat, services, clock, typed,
                                                                                  window):
    # Before, at 23:00 "00:30" was refused as past and "23:30-00:30" as no time: only the +1 h button reached them.
    from tests.handlers.test_admin import OP, operator
    await operator(chat)
    await chat.send(OP, "/hours set 07:00-02:00")
    alice = await funded(chat, services, "alice", 5000)
    clock.advance(hours=13)  # Monday 23:00 in Shanghai, open until 02:00
    await chat.send("alice", "/order")
    answers = list(PARCEL_TO_MY_ROOM)
    answers[answers.index("now")] = typed
    await answer_all(chat, "alice", [*answers, "Confirm"])
    [order] = await orders_of(services, alice)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    start, end = order.window_start.astimezone(shanghai), order.window_end.astimezone(shanghai)
    assert f"{start:%H:%M}–{end:%H:%M}" == window
    assert clock.now < order.window_start < order.window_end <= clock.now + dt.timedelta(hours=12)


async def test_a_time_just_gone_is_past_not_tomorrows(chat, services, clock):
    await funded(chat, services, "alice", 0)
    clock.advance(minutes=5)  # 10:05
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:9])
    await refused(chat, services, "alice", lambda: chat.send("alice", "10:00"), "order-window-past")
    await refused(chat, services, "alice", lambda: chat.send("alice", "15:00-14:00"), "order-window-format")


async def test_only_tips_the_campus_allows_are_offered_as_buttons(chat, services):
    # Before, 5.00 yuan was offered under a 2-yuan ceiling, and refused when pressed.
    from tests.handlers.test_admin import OP, operator
    await operator(chat)
    await chat.send(OP, "/pricing set max_tip 2")
    await funded(chat, services, "bob", 0)
    await chat.send("bob", "/order")
    (ask,) = await answer_all(chat, "bob", PARCEL_TO_MY_ROOM[:-2])
    assert ask.key == "order-ask-tip"
    assert [c.label for c in ask.flat_choices()] == ["No tip", "1.00 yuan", "2.00 yuan", "« Back"]


async def test_only_weights_the_campus_carries_are_offered_as_buttons(db, campus, clock):
    from handlers.context import Services
    from tests.factories import CIPHER
    from tests.handlers.harness import Chat
    light = campus.model_copy(update={"pricing": campus.pricing.model_copy(update={
        "weight": campus.pricing.weight.model_copy(update={"max_kg": 8})})})
    services = Services(db=db, campuses={light.id: light}, cipher=CIPHER, clock=clock, channels=("console",))
    chat = Chat(services)
    await funded(chat, services, "erin", 0)
    await chat.send("erin", "/order")
    (ask,) = await answer_all(chat, "erin", PARCEL_TO_MY_ROOM[:7])
    assert ask.key == "order-ask-weight"
    assert [c.label for c in ask.flat_choices()] == ["1 kg", "3 kg", "5 kg", "« Back"]


async def test_a_quote_repriced_by_an_operator_does_not_blame_the_clock(chat, services):
    from tests.handlers.test_admin import OP, operator
    await operator(chat)
    await funded(chat, services, "bob", 5000)
    await chat.send("bob", "/order")
    await answer_all(chat, "bob", PARCEL_TO_MY_ROOM)
    await chat.send(OP, "/pricing set base.parcel 6")
    again = quote_of(await chat.send("bob", "Confirm"))
    assert again.text.splitlines()[0] == "The price has changed since you looked. Please check again:"


async def test_an_errand_whose_time_window_is_over_cannot_be_paid(chat, services, clock):
    # Before, a 10:05–10:12 errand was paid at 10:14 and went to the hall.
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    answers = list(PARCEL_TO_MY_ROOM)
    answers[answers.index("now")] = "10:05-10:12"
    await answer_all(chat, "alice", [*answers, "Confirm"])
    clock.advance(minutes=13)
    refused_pay = await chat.press("alice", "Pay with wallet")
    assert keys(refused_pay) == ["wallet-pay-too-late"]
    [order] = await orders_of(services, alice)
    assert order.status == "awaiting_payment" and order.pay_by == order.window_end


async def test_the_placed_order_says_the_time_really_left_to_pay(chat, services, clock):
    # Before: "within 15 minutes" for an errand whose window ended in 8, when paying was refused.
    await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    answers = list(PARCEL_TO_MY_ROOM)
    answers[answers.index("now")] = "10:03-10:08"
    await answer_all(chat, "alice", answers)
    (placed,) = await chat.send("alice", "Confirm")
    assert "Please pay within 8 minutes." in placed.text
