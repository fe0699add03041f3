"""After paying: listing and tracking orders, cancelling, confirming, rating, the relay chat and complaints."""
import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select, update

from core import ledger
from core.campus import CreditEvent
from core.money import format_yuan
from core.numbers import MAX_ID
from core.order import Actor, Event, Role, transition
from core.pricing import Discount
from handlers.context import MAX_TEXT, Services
from handlers.notify import Notifier
from locales import catalogue
from storage.models import (
    Complaint,
    Coupon,
    CouponRedemption,
    CreditRecord,
    LedgerPosting,
    Outbox,
    RunnerProfile,
    User,
)
from storage.models import Order as OrderRow
from storage.transitions import apply_transition
from storage.uow import UnitOfWork
from tests.factories import CIPHER, FREE_COUPON, act, make_order, make_runner, make_user, top_up
from tests.handlers.harness import Chat, keys
from tests.handlers.test_ordering import conversation

PHONE = "13800138000"


async def english(db, *user_ids):
    await speaks(db, "en", *user_ids)


async def speaks(db, language, *user_ids):
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id.in_(user_ids)).values(language=language))


async def external_id(db, user_id):
    async with UnitOfWork(db, write=False) as uow:
        return (await uow.session.get(User, user_id)).external_id


async def order_row(db, order_id):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.orders.get_row(order_id)


async def balances(db, *accounts):
    async with UnitOfWork(db, write=False) as uow:
        return [await uow.ledger.balance(a) for a in accounts]


async def count(db, model):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.session.scalar(select(func.count()).select_from(model))


async def setup(db, campus, clock, *, stage=None):
    """alice (English) with a paid order; a runner (English) who, by `stage`, has accepted or picked it up."""
    alice = await make_user(db, campus, clock(), name="alice", phone=PHONE, room="F3-512")
    runner = await make_runner(db, campus, clock())
    await english(db, alice, runner)
    order_id = await make_order(db, campus, alice, clock())
    async with UnitOfWork(db) as uow:  # the order carries the contact the runner may see, never the relay
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(
            phone_enc=CIPHER.encrypt(PHONE), room_enc=CIPHER.encrypt("F3-512")))
    if stage in ("accepted", "picked_up", "delivered"):
        await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
    if stage in ("picked_up", "delivered"):
        clock.advance(minutes=5)
        await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    return alice, runner, order_id


async def deliver(services, campus, order_id, runner, now):
    """The runner marks it delivered; its notices go through the notifier as the runner's handler would send them."""
    async with UnitOfWork(services.db) as uow:
        t = transition(campus, await uow.orders.get(order_id), Event.deliver, Actor(Role.runner, runner), now)
        await apply_transition(uow, campus, t, now)
        await Notifier(services, uow, now, origin=f"test:deliver:{order_id}").transition(campus, t)


async def test_orders_lists_an_order_still_under_way_however_many_newer_ones_ended(db, campus, clock, chat):
    """A scheduled errand paid days ahead, then a dozen orders that ended since: before, /orders showed the ten
    newest, and the one still to be done was not among them."""
    alice, _runner, waiting = await setup(db, campus, clock)
    ended = []
    for _ in range(12):
        order_id = await make_order(db, campus, alice, clock(), pay=False)
        await act(db, campus, order_id, Event.cancel, Actor(Role.customer, alice), clock())
        ended.append(order_id)
    (listed,) = await chat.send("alice", "/orders")
    shown = [c.data for c in listed.flat_choices()]
    assert shown[0] == f"o:{waiting}:view"  # under way: first
    assert shown[1:] == [f"o:{i}:view" for i in reversed(ended)][:9]  # then the latest that ended


async def test_list_and_track_with_history(db, campus, clock, chat):
    alice, _runner, order_id = await setup(db, campus, clock, stage="picked_up")
    unpaid = await make_order(db, campus, alice, clock(), pay=False)

    replies = await chat.send("alice", "/orders")
    assert keys(replies) == ["track-list"]
    assert [c.data for c in replies[0].flat_choices()] == [f"o:{unpaid}:view", f"o:{order_id}:view"]
    assert "picked up" in replies[0].text and "awaiting payment" in replies[0].text

    replies = await chat.press("alice", f"Open #{order_id}")
    assert keys(replies) == ["track-card"]
    card = replies[0].text
    # Times in the campus's zone (the clock starts at 02:00 UTC = 10:00 in Shanghai), events in words.
    for line in ("11-23 10:00  Order placed", "11-23 10:00  Paid", "11-23 10:00  A runner took it",
                 "11-23 10:05  Picked up"):
        assert line in card
    labels = [c.label for c in replies[0].flat_choices()]
    assert labels == ["Where is my runner?", "Message your runner", "Report a problem"]  # no cancel after pickup, nothing to confirm

    # /track N shows the same card; an order awaiting payment offers the order's own Pay button, and cancelling.
    assert keys(await chat.send("alice", f"/track {order_id}")) == ["track-card"]
    replies = await chat.send("alice", f"/track {unpaid}")
    assert [(c.label, c.data) for c in replies[0].flat_choices()] == [
        ("Pay with wallet", f"pay:{unpaid}"), ("Cancel order", f"o:{unpaid}:cancel")]
    replies = await chat.press("alice", f"data:o:{unpaid}:view")  # from /orders: the same buttons
    assert [c.label for c in replies[0].flat_choices()] == ["Pay with wallet", "Cancel order"]
    await top_up(db, alice, (await order_row(db, unpaid)).total, clock())
    replies = await chat.press("alice", "Pay with wallet")
    assert keys(replies) == ["wallet-paid"] and replies[0].edit  # in the card's place: its buttons go
    assert (await order_row(db, unpaid)).status == "open"


@pytest.mark.parametrize(("task", "en_label", "zh_label"), [
    ("parcel", "Item: ", "物品："), ("queue", "Queue: ", "排队："), ("custom", "Task: ", "任务：")])
async def test_the_card_names_what_the_description_is_for_the_errand_type(db, campus, clock, chat, task, en_label,
                                                                            zh_label):
    """A queue is no item: its card (the student's, the runner's) says what the student wrote under the right word."""
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(
            task_type=task, description_enc=CIPHER.encrypt("canteen 2 window")))
    (card,) = await chat.send("alice", f"/track {order_id}")
    assert f"\n{en_label}canteen 2 window\n" in card.text
    await speaks(db, "zh_CN", runner)
    runner_name = await external_id(db, runner)
    (card,) = await chat.send(runner_name, f"/track {order_id}")
    assert f"\n{zh_label}canteen 2 window\n" in card.text


async def test_the_runner_sees_what_the_order_pays_them_not_what_the_student_paid(db, campus, clock, chat):
    """The student's total (after a coupon, less than the runner's share) is none of the runner's business: their
    card and their list show what they get."""
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(discount=300, total=60))
    row = await order_row(db, order_id)
    share = f"{format_yuan(row.runner_share)} yuan"
    runner_name = await external_id(db, runner)
    (card,) = await chat.send(runner_name, f"/track {order_id}")
    assert "0.60 yuan" not in card.text
    assert card.text.splitlines()[0] == (
        f"#{order_id} Parcel pickup · Parcel Station → Women's Dorm 3 · runner on the way")
    assert f"You receive: {share}" in card.text
    replies = await chat.send(runner_name, "/orders")
    assert "0.60 yuan" not in "\n".join(r.text for r in replies)
    (card,) = await chat.send("alice", f"/track {order_id}")  # the student's own card keeps her total
    assert card.text.splitlines()[0].endswith("· 0.60 yuan · runner on the way")


async def test_a_student_cannot_touch_another_students_order(db, campus, clock, chat):
    _alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    bob = await make_user(db, campus, clock(), name="bob")
    await english(db, bob)
    outbox_before = await count(db, Outbox)
    postings_before = await count(db, LedgerPosting)

    attempts = [
        chat.send("bob", f"/track {order_id}"),
        chat.send("bob", f"/cancel {order_id}"),
        chat.send("bob", f"/confirm {order_id}"),
        chat.send("bob", f"/msg {order_id} hello"),
        chat.send("bob", f"/complain {order_id} bad"),
        chat.press("bob", f"data:o:{order_id}:view"),
        chat.press("bob", f"data:o:{order_id}:cancel_yes:{(await order_row(db, order_id)).total}"),
        chat.press("bob", f"data:o:{order_id}:confirm"),
        chat.press("bob", f"data:o:{order_id}:chat"),
        chat.press("bob", f"data:o:{order_id}:rate"),
    ]
    for attempt in attempts:
        replies = await attempt
        assert keys(replies) == ["error-not-your-order"]
        assert replies[0].text == "That order is not yours."

    row = await order_row(db, order_id)
    assert row.status == "accepted" and row.runner_id == runner
    assert await count(db, Outbox) == outbox_before
    assert await count(db, LedgerPosting) == postings_before
    assert await count(db, Complaint) == 0


async def test_forged_order_buttons_do_nothing(db, campus, clock, chat):
    await setup(db, campus, clock)
    await make_user(db, campus, clock(), name="bob")
    for forged in ("o:abc:view", "o:1", "o:1:explode", "o::view", "o:99999:view"):
        replies = await chat.press("bob", f"data:{forged}")
        assert keys(replies) in (["error-stale-choice"], ["error-order-not-found"]), forged


async def test_an_order_number_no_order_can_have_is_not_found(db, campus, clock, chat):
    """A number past any id (PostgreSQL would not even compare it with one) is told like any unused one, from a
    command or a forged button of the student, the runner or the hall."""
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    rob = await external_id(db, runner)
    big = str(MAX_ID + 1)
    attempts = [("alice", f"/track {big}"), ("alice", f"/cancel {big}"), ("alice", f"/confirm {big}"),
                ("alice", f"/msg #{big} hi"), ("alice", f"/complain {big} bad"), ("alice", f"/rate {big}"),
                ("alice", f"data:o:{big}:view"), ("alice", f"data:o:{big}:cancel_yes:360"),
                ("alice", f"data:pay:{big}"), ("alice", f"data:nocoupon:{big}"), (rob, f"/picked {big}"),
                (rob, f"/where {big}"), (rob, f"data:o:{big}:pickup"), (rob, f"data:offer:{big}:decline"),
                (rob, f"/grab {big}"), (rob, f"data:g:{big}")]
    for who, said in attempts:
        replies = await (chat.press(who, said) if said.startswith("data:") else chat.send(who, said))
        assert [(r.key, r.text) for r in replies] == [("error-order-not-found", f"There is no order #{big}.")], said
    assert (await order_row(db, order_id)).status == "accepted"


async def test_cancel_before_accept_refunds_in_full(db, campus, clock, chat):
    alice, _runner, order_id = await setup(db, campus, clock)
    total = (await order_row(db, order_id)).total
    assert await balances(db, ledger.customer(alice)) == [0]

    await chat.inbox(f"hall:{campus.id}")
    replies = await chat.send("alice", f"/cancel {order_id}")
    assert keys(replies) == ["track-cancel-confirm"]
    assert f"full {total // 100}." in replies[0].text
    replies = await chat.press("alice", "Yes, cancel it")
    assert keys(replies) == ["track-card"] and "cancelled" in replies[0].text

    assert (await order_row(db, order_id)).status == "cancelled"
    assert await balances(db, ledger.customer(alice), ledger.escrow(order_id)) == [total, 0]
    assert [m["key"] for m in await chat.inbox("alice")] == ["notice-cancelled"]
    assert len(await chat.inbox(f"hall:{campus.id}")) == 1  # the hall learns it is gone (hall.py words it)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_an_order_paid_by_card_and_cancelled_goes_back_to_the_wallet_as_every_text_says(
        db, campus, clock, chat, language):
    """A provider's payment lands in the wallet and pays the order from there, so a cancellation gives it back to
    the wallet, not to the card: the button, the question and the notice say so."""
    alice = await make_user(db, campus, clock(), name="alice")
    await speaks(db, language, alice)
    t = catalogue(language)
    order_id = await make_order(db, campus, alice, clock(), pay=False)
    total = (await order_row(db, order_id)).total
    money = format_yuan(total)
    assert keys(await chat.pay("alice", "telegram", "tg-card", order_id, total)) == ["wallet-provider-paid"]

    [card] = await chat.send("alice", f"/track {order_id}")
    label = {"en": f"Cancel ({money} yuan back to your wallet)", "zh_CN": f"取消订单（{money} 元退回钱包）"}[language]
    assert label in [c.label for c in card.flat_choices()]
    [confirm] = await chat.press("alice", label)
    assert confirm.text == {"en": f"Cancel order #{order_id}? The full {money} yuan goes back to your wallet.",
                            "zh_CN": f"确定取消订单 #{order_id} 吗？{money} 元将全额退回你的钱包。"}[language]
    await chat.press("alice", t("track-cancel-yes"))
    told = {m["key"]: m["text"] for m in await chat.inbox("alice")}
    assert told["notice-cancelled"] == {"en": f"Order #{order_id} is cancelled. {money} yuan went back to your wallet.",
                                        "zh_CN": f"订单 #{order_id} 已取消，{money} 元已退回你的钱包。"}[language]
    assert await balances(db, ledger.customer(alice), ledger.external("telegram"), ledger.escrow(order_id)) == [
        total, -total, 0]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_cancelling_an_unpaid_order_tells_of_no_refund(db, campus, clock, chat, language):
    alice = await make_user(db, campus, clock(), name="alice")
    await speaks(db, language, alice)
    t = catalogue(language)
    order_id = await make_order(db, campus, alice, clock(), pay=False)
    await chat.send("alice", f"/cancel {order_id}")
    await chat.press("alice", t("track-cancel-yes"))
    assert (await order_row(db, order_id)).status == "cancelled"
    assert [(m["key"], m["text"]) for m in await chat.inbox("alice")] == [("notice-cancelled-unpaid", {
        "en": f"Order #{order_id} is cancelled. It was not paid, so nothing was charged.",
        "zh_CN": f"订单 #{order_id} 已取消。订单还没有支付，没有扣任何钱。"}[language])]
    assert await balances(db, ledger.customer(alice)) == [0]


async def test_cancel_after_the_grace_gives_the_runner_a_fee(db, campus, clock, chat):
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    total = (await order_row(db, order_id)).total
    fee = campus.cancellation.fee_after_accept

    # Within the grace the terms say "full refund"; pressing Yes after the grace shows the new terms instead.
    replies = await chat.send("alice", f"/cancel {order_id}")
    assert "full" in replies[0].text
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)
    replies = await chat.press("alice", "Yes, cancel it")
    assert keys(replies) == ["track-cancel-terms-changed", "track-cancel-confirm"]
    assert replies[0].text == "The cancellation terms changed since you asked: the free cancellation time is over."
    assert (await order_row(db, order_id)).status == "accepted"
    assert f"{fee // 100}.00 yuan goes to them" in replies[1].text

    await chat.press("alice", "Yes, cancel it")
    assert (await order_row(db, order_id)).status == "cancelled"
    assert await balances(db, ledger.customer(alice), ledger.runner(runner), ledger.escrow(order_id)) == [
        total - fee, fee, 0]
    assert [m["key"] for m in await chat.inbox(await external_id(db, runner))][-1] == "notice-cancelled-runner-fee"


@pytest.mark.parametrize(("language", "changed"), [
    ("en", "The cancellation terms changed since you asked."), ("zh_CN", "取消条件已变化。")])
async def test_terms_changed_by_the_runner_giving_the_order_back_are_not_blamed_on_the_free_time(
        db, campus, clock, chat, language, changed):
    # Before, it said the free time was over, and then that all the money goes back.
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    await speaks(db, language, alice)
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)
    await chat.send("alice", f"/cancel {order_id}")  # a fee for the runner, then
    await act(db, campus, order_id, Event.release, Actor(Role.runner, runner), clock())
    replies = await chat.press("alice", catalogue(language)("track-cancel-yes"))
    assert keys(replies) == ["track-cancel-terms-changed", "track-cancel-confirm"]
    assert replies[0].text == changed
    assert (await order_row(db, order_id)).status == "open"


async def test_a_yes_sent_before_the_terms_it_carries_changed_form_is_asked_again_without_saying_they_changed(
        db, campus, clock, chat):
    """A Yes pressed from a question an earlier release sent carries the refund alone ('cancel_yes:360'). Before,
    every such press was told the terms had changed, though nothing had."""
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    total = (await order_row(db, order_id)).total
    replies = await chat.press("alice", f"data:o:{order_id}:cancel_yes:{total}")
    assert keys(replies) == ["track-cancel-confirm"]
    assert (await order_row(db, order_id)).status == "accepted"
    await chat.press("alice", "Yes, cancel it")
    assert (await order_row(db, order_id)).status == "cancelled"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_cancellation_fee_that_takes_the_whole_total_is_said_so_not_as_nothing_refunded(
        db, campus, clock, language):
    """An order costing no more than the cancellation fee (a coupon paid most of it): cancelled late, all the
    student paid goes to the runner. No text speaks of 0.00 yuan going back to the wallet."""
    costly = campus.model_copy(update={"cancellation": campus.cancellation.model_copy(update={"fee_after_accept": 99_00})})
    chat = Chat(Services(db=db, campuses={costly.id: costly}, cipher=CIPHER, clock=clock, channels=("console",)))
    alice, runner, order_id = await setup(db, costly, clock, stage="accepted")
    await speaks(db, language, alice)
    total = (await order_row(db, order_id)).total
    money = format_yuan(total)
    clock.advance(minutes=costly.cancellation.free_minutes_after_accept + 1)

    [card] = await chat.send("alice", f"/track {order_id}")
    label = {"en": "Cancel (nothing back to your wallet)", "zh_CN": "取消订单（不退回钱包）"}[language]
    assert label in [c.label for c in card.flat_choices()]
    [confirm] = await chat.press("alice", label)
    assert confirm.text == {
        "en": f"Cancel order #{order_id}? The runner is already on the way, so all {money} yuan you paid goes to them "
              f"for the trip; nothing goes back to your wallet.",
        "zh_CN": f"确定取消订单 #{order_id} 吗？跑腿员已经出发，你支付的 {money} 元将全部作为跑腿补偿给跑腿员，不会退回钱包。",
    }[language]
    await chat.press("alice", catalogue(language)("track-cancel-yes"))
    assert [(m["key"], m["text"]) for m in await chat.inbox("alice")] == [("notice-cancelled-all-fee", {
        "en": f"Order #{order_id} is cancelled. The runner was already on the way, so all {money} yuan you paid went "
              f"to them as the cancellation fee; nothing went back to your wallet.",
        "zh_CN": f"订单 #{order_id} 已取消。跑腿员当时已经出发，你支付的 {money} 元全部作为跑腿补偿给了跑腿员，没有金额退回你的钱包。",
    }[language])]
    assert await balances(db, ledger.customer(alice), ledger.runner(runner), ledger.escrow(order_id)) == [
        0, total, 0]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_an_order_a_coupon_paid_in_full_is_cancelled_without_any_text_of_0_yuan_back(
        db, campus, clock, chat, language):
    """Taken by a runner and past the free cancellation time, yet the student paid nothing: no fee of theirs,
    nothing back, and the question and the notice say so in words. The runner's fee is the coupon's (marketing),
    which the question and the notice say too, since the coupon then counts as used."""
    alice = await make_user(db, campus, clock(), name="alice")
    runner = await make_runner(db, campus, clock())
    await speaks(db, language, alice)
    order_id = await make_order(db, campus, alice, clock(), coupon=FREE_COUPON)
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)
    assert (await order_row(db, order_id)).total == 0

    [card] = await chat.send("alice", f"/track {order_id}")
    label = {"en": "Cancel (nothing back to your wallet)", "zh_CN": "取消订单（不退回钱包）"}[language]
    [confirm] = await chat.press("alice", label)
    fee = campus.cancellation.fee_after_accept
    money = format_yuan(fee)
    assert confirm.text == {  # the coupon pays the runner's fee, so it is spent: said, not "you paid nothing" alone
        "en": f"Cancel order #{order_id}? The runner is already on the way, so they get {money} yuan for the trip, "
              f"paid from your coupon FREE; you paid nothing, so nothing goes back to your wallet. Your coupon then "
              f"counts as used.",
        "zh_CN": f"确定取消订单 #{order_id} 吗？跑腿员已经出发，将从你的优惠券 FREE 中支付 {money} 元跑腿补偿给跑腿员；"
                 f"你没有支付任何费用，因此没有金额退回钱包。该优惠券随后视为已使用。",
    }[language]
    await chat.press("alice", catalogue(language)("track-cancel-yes"))
    assert (await order_row(db, order_id)).status == "cancelled"
    assert [(m["key"], m["text"]) for m in await chat.inbox("alice")] == [("notice-cancelled", {
        "en": f"Order #{order_id} is cancelled. Your coupon covered all of it, so you paid nothing and nothing went "
              f"back to your wallet. The runner was already on the way: their {money} yuan cancellation fee was "
              f"paid from your coupon FREE, which now counts as used.",
        "zh_CN": f"订单 #{order_id} 已取消。这笔订单由优惠券全额抵扣，你没有支付任何费用，因此没有金额退回钱包。"
                 f"跑腿员当时已经出发，其 {money} 元跑腿补偿已从你的优惠券 FREE 中支付，该优惠券已视为使用过。",
    }[language])]
    assert await balances(db, ledger.customer(alice), ledger.runner(runner), ledger.escrow(order_id),
                          ledger.MARKETING) == [0, fee, 0, -fee]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_question_asked_in_the_free_time_does_not_spend_a_coupon_unseen_after_it(
        db, campus, clock, chat, language):
    """Asked within the free time, the cancellation of an order a coupon paid in full is free and gives the coupon
    back; confirmed after it, the runner's fee would come out of the coupon, which would then count as used. The
    refund is 0.00 either way: the Yes carries all the terms, so the new ones are asked again, not applied."""
    t = catalogue(language)
    alice = await make_user(db, campus, clock(), name="alice")
    runner = await make_runner(db, campus, clock())
    await speaks(db, language, alice)
    async with UnitOfWork(db) as uow:
        uow.session.add(Coupon(code="FREE", campus_id=campus.id, amount_off=0, percent_off_bp=10_000,
                               valid_from=clock() - dt.timedelta(days=1), max_uses=10, used=0, per_user=1))
    order_id = await make_order(db, campus, alice, clock(), pay=False, coupon=FREE_COUPON)
    assert keys(await chat.press("alice", f"data:pay:{order_id}")) == ["order-covered"]
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
    [free] = await chat.send("alice", f"/cancel {order_id}")
    assert free.text == t("track-cancel-confirm", order=str(order_id), charged="free", refund="0.00", fee="0.00",
                          coupon="none", coupon_fee="0.00", code="FREE")
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)

    changed, again = await chat.press("alice", t("track-cancel-yes"))
    assert (changed.key, changed.text) == ("track-cancel-terms-changed", t("track-cancel-terms-changed", why="grace"))
    money = format_yuan(campus.cancellation.fee_after_accept)
    assert again.text == {
        "en": f"Cancel order #{order_id}? The runner is already on the way, so they get {money} yuan for the trip, "
              f"paid from your coupon FREE; you paid nothing, so nothing goes back to your wallet. Your coupon then "
              f"counts as used.",
        "zh_CN": f"确定取消订单 #{order_id} 吗？跑腿员已经出发，将从你的优惠券 FREE 中支付 {money} 元跑腿补偿给跑腿员；"
                 f"你没有支付任何费用，因此没有金额退回钱包。该优惠券随后视为已使用。",
    }[language]
    assert (await order_row(db, order_id)).status == "accepted"
    async with UnitOfWork(db, write=False) as uow:
        assert (await uow.session.get(Coupon, "FREE")).used == 1

    await chat.press("alice", t("track-cancel-yes"))
    assert (await order_row(db, order_id)).status == "cancelled"
    async with UnitOfWork(db, write=False) as uow:  # spent, as both texts said
        assert (await uow.session.get(Coupon, "FREE")).used == 1
        assert await uow.session.scalar(select(func.count()).select_from(CouponRedemption)) == 1
    later = await make_order(db, campus, alice, clock(), pay=False, coupon=FREE_COUPON)
    assert keys(await chat.press("alice", f"data:pay:{later}")) == ["wallet-coupon-gone"]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_coupon_that_pays_part_of_a_late_cancellation_fee_is_said_to_be_spent(
        db, campus, clock, chat, language):
    """The student's payment for the service bears the runner's fee first; their coupon pays the rest, and so
    counts as used: the question and the notice say how much of the fee is the coupon's, and which coupon."""
    fee = campus.cancellation.fee_after_accept
    t = catalogue(language)
    alice = await make_user(db, campus, clock(), name="alice")
    runner = await make_runner(db, campus, clock())
    await speaks(db, language, alice)
    order_id = await make_order(db, campus, alice, clock(), goods=3000, coupon=Discount("MOST", percent_off_bp=9000))
    row = await order_row(db, order_id)
    service = row.total - row.goods
    assert 0 < service < fee <= service + row.discount
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
    clock.advance(minutes=campus.cancellation.free_minutes_after_accept + 1)

    [confirm] = await chat.send("alice", f"/cancel {order_id}")
    y = format_yuan
    assert confirm.text == {
        "en": f"Cancel order #{order_id}? The runner is already on the way, so {y(service)} yuan goes to them for the "
              f"trip; 30.00 yuan goes back to your wallet. The other {y(fee - service)} yuan of their fee is paid from "
              f"your coupon MOST, which then counts as used.",
        "zh_CN": f"确定取消订单 #{order_id} 吗？跑腿员已经出发，{y(service)} 元将作为跑腿补偿给跑腿员，30.00 元退回你的钱包。"
                 f"跑腿补偿其余的 {y(fee - service)} 元由你的优惠券 MOST 支付，该优惠券随后视为已使用。",
    }[language]
    await chat.press("alice", t("track-cancel-yes"))
    assert [(m["key"], m["text"]) for m in await chat.inbox("alice")] == [("notice-cancelled", {
        "en": f"Order #{order_id} is cancelled. 30.00 yuan went back to your wallet. The other {y(fee - service)} "
              f"yuan of the runner's cancellation fee was paid from your coupon MOST, which now counts as used.",
        "zh_CN": f"订单 #{order_id} 已取消，30.00 元已退回你的钱包。跑腿补偿其余的 {y(fee - service)} 元已由你的优惠券 "
                 f"MOST 支付，该优惠券已视为使用过。",
    }[language])]
    assert await balances(db, ledger.customer(alice), ledger.runner(runner), ledger.MARKETING) == [
        3000, fee, -(fee - service)]


async def test_cancel_after_pickup_is_refused(db, campus, clock, chat):
    _alice, _runner, order_id = await setup(db, campus, clock, stage="picked_up")
    total = (await order_row(db, order_id)).total
    for attempt in (chat.send("alice", f"/cancel {order_id}"),
                    chat.press("alice", f"data:o:{order_id}:cancel_yes:{total}")):
        replies = await attempt
        assert keys(replies) == ["track-cancel-after-pickup"]
        assert "already been picked up" in replies[0].text
    assert (await order_row(db, order_id)).status == "picked_up"
    assert await balances(db, ledger.escrow(order_id)) == [total]


async def test_a_rating_comment_typed_privately_takes_the_questions_skip_button_away(db, campus, clock, chat, services):
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await chat.inbox("alice")
    await chat.press("alice", f"data:o:{order_id}:confirm")
    await chat.press("alice", "4★")
    (_chosen, question) = await chat.press("alice", "Done")
    await chat.shown("alice", question, "12")  # the message the channel showed it in

    replies = await chat.send("alice", "a bit late")
    assert keys(replies) == ["track-rate-thanks", "track-rate-comment-ask"]
    assert (replies[1].replaces, replies[1].text, replies[1].choices) == ("12", question.text, ())
    assert CIPHER.decrypt((await order_row(db, order_id)).rating_comment_enc) == "a bit late"


async def test_a_rating_left_for_another_command_takes_its_star_or_tag_buttons_away(db, campus, clock, chat, services):
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    (stars,) = await chat.send("alice", f"/confirm {order_id}")
    await chat.shown("alice", stars, "20")
    assert keys(await chat.send("alice", "5")) == ["track-rate-use-buttons"]  # the stars still wait, with buttons
    [four] = [c.data for c in stars.flat_choices() if c.label == "4★"]
    (tags,) = await chat.press("alice", f"data:{four}", message="20")
    assert (tags.key, tags.edit, tags.replaces) == ("track-rate-tags-ask", True, None)  # in the stars' place
    await chat.shown("alice", tags, "20")

    menu, cleared = await chat.send("alice", "/menu")
    assert menu.key == "menu-title"
    assert (cleared.replaces, cleared.text, cleared.choices) == ("20", tags.text, ())


async def test_confirm_pays_the_runner_then_rating_once(db, campus, clock, chat, services):
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    row = await order_row(db, order_id)
    clock.advance(minutes=10)
    await deliver(services, campus, order_id, runner, clock())

    delivered = await chat.inbox("alice")
    assert [m["key"] for m in delivered] == ["notice-delivered"]
    assert [c["data"] for r in delivered[0]["choices"] for c in r] == [f"o:{order_id}:confirm", f"o:{order_id}:report"]
    replies = await chat.press("alice", "Confirm delivery")
    assert keys(replies) == ["track-rate-ask"]

    assert (await order_row(db, order_id)).status == "completed"
    assert await balances(db, ledger.runner(runner), ledger.PLATFORM_REVENUE, ledger.escrow(order_id)) == [
        row.runner_share, row.commission, 0]

    credit_before = (await _profile(db, runner)).credit
    await chat.press("alice", "5★")
    await chat.press("alice", "On time")
    replies = await chat.press("alice", "Polite")
    assert [c.label for c in replies[0].flat_choices()][:2] == ["✓ On time", "✓ Polite"]
    replies = await chat.press("alice", "✓ Polite")  # a second tap removes it
    replies = await chat.press("alice", "Done")
    assert keys(replies) == ["track-rate-chosen", "track-rate-comment-ask"]
    replies = await chat.send("alice", "quick and friendly")
    assert keys(replies) == ["track-rate-thanks"]

    row = await order_row(db, order_id)
    assert (row.rating, row.rating_tags, CIPHER.decrypt(row.rating_comment_enc)) == (
        5, ["on_time"], "quick and friendly")
    profile = await _profile(db, runner)
    assert (profile.rating_sum, profile.rating_count) == (5, 1)
    assert profile.credit == credit_before + campus.credit_change(CreditEvent.five_star)
    async with UnitOfWork(db, write=False) as uow:
        events = list(await uow.session.scalars(select(CreditRecord.event).where(
            CreditRecord.runner_id == runner, CreditRecord.order_id == order_id)))
    assert events.count("five_star") == 1
    assert [m["key"] for m in await chat.inbox(await external_id(db, runner))][-1] == "track-rated-runner"

    # Rating again, by command or by an old button, is refused and changes nothing.
    for attempt in (chat.send("alice", f"/rate {order_id}"), chat.press("alice", f"data:o:{order_id}:rate")):
        replies = await attempt
        assert keys(replies) == ["track-already-rated"]
    assert (await _profile(db, runner)).rating_count == 1


@pytest.mark.parametrize(("language", "stars", "done", "chosen", "ask", "skip"), [
    ("en", "4★", "Done", "Your rating of order #{order}: 4★ — On time, Careful",
     "Would you like to leave a comment for the runner? Write it, or skip.", "Skip"),
    ("zh_CN", "4★", "完成", "你对订单 #{order} 的评价：4★，准时、细心", "想给跑腿员留句评语吗？直接输入，或点击跳过。", "跳过"),
], ids=["en", "zh_CN"])
async def test_done_turns_the_tags_message_into_what_was_chosen_with_no_buttons_left(
        db, campus, clock, chat, services, language, stars, done, chosen, ask, skip):
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await speaks(db, language, alice)
    await deliver(services, campus, order_id, runner, clock())
    await chat.send("alice", f"/confirm {order_id}")
    await chat.press("alice", stars)
    t = catalogue(language)
    for tag in ("on_time", "careful"):
        await chat.press("alice", t("track-rate-tag", tag=tag, selected="no"))

    summary, question = await chat.press("alice", done)
    # In the tags message's place: no star, tag or Done button that would only be refused now.
    assert (summary.key, summary.edit, summary.text, summary.choices) == (
        "track-rate-chosen", True, chosen.format(order=order_id), ())
    assert (question.key, question.text, [c.label for c in question.flat_choices()]) == (
        "track-rate-comment-ask", ask, [skip])
    assert keys(await chat.press("alice", skip)) == ["track-rate-thanks"]
    row = await order_row(db, order_id)
    assert (row.rating, row.rating_tags) == (4, ["on_time", "careful"])


async def test_done_with_no_tag_chosen_says_the_stars_alone(db, campus, clock, chat, services):
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await chat.send("alice", f"/confirm {order_id}")
    await chat.press("alice", "5★")
    summary, _question = await chat.press("alice", "Done")
    assert (summary.edit, summary.text, summary.choices) == (True, f"Your rating of order #{order_id}: 5★", ())


async def test_low_rating_without_comment_costs_credit(db, campus, clock, chat, services):
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await chat.send("alice", f"/confirm {order_id}")
    credit_before = (await _profile(db, runner)).credit
    await chat.press("alice", "1★")
    await chat.press("alice", "Rude")
    await chat.press("alice", "Done")
    replies = await chat.press("alice", "Skip")
    assert keys(replies) == ["track-rate-thanks"]
    row = await order_row(db, order_id)
    assert (row.rating, row.rating_tags, row.rating_comment_enc) == (1, ["rude"], None)
    assert (await _profile(db, runner)).credit == credit_before + campus.credit_change(CreditEvent.low_rating)


@pytest.mark.parametrize(("language", "told"), [
    ("en", "The student rated order #{order}: 2★ — Late, Rude. Your credit score changed by -3 and is now 99 (good)."
           ' Their comment: "Waited 40 minutes at the gate"'),
    ("zh_CN", "下单同学给订单 #{order} 评了 2★（迟到、态度差）。你的信用分变动 -3，现在为 99（良好）。"
              "留言：“Waited 40 minutes at the gate”"),
], ids=["en", "zh_CN"])
async def test_the_runner_is_told_the_tags_and_comment_of_their_rating_in_their_language(
        db, campus, clock, chat, services, language, told):
    """The student is asked for tags and "a comment for the runner": the runner reads them, not the stars alone, and
    so does an operator looking at the order."""
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await speaks(db, language, runner)
    await deliver(services, campus, order_id, runner, clock())
    me = await external_id(db, runner)
    await chat.inbox(me)
    await chat.send("alice", f"/confirm {order_id}")  # alice rates in English
    await chat.press("alice", "2★")
    await chat.press("alice", "Late")
    await chat.press("alice", "Rude")
    await chat.press("alice", "Done")
    assert keys(await chat.send("alice", "Waited 40 minutes at the gate")) == ["track-rate-thanks"]
    assert [p["text"] for p in await chat.inbox(me) if p["key"] == "track-rated-runner"] == [
        told.format(order=order_id)]

    (card,) = await chat.send("admin", f"/find {order_id}")  # campus/demo.yaml's operator, reading Chinese
    assert "评价：2★，迟到、态度差 · “Waited 40 minutes at the gate”" in card.text


async def test_a_rating_with_stars_alone_tells_the_runner_the_stars_alone_and_the_credit_they_earned(
        db, campus, clock, chat, services):
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    me = await external_id(db, runner)
    await chat.send("alice", f"/confirm {order_id}")
    await chat.press("alice", "5★")
    await chat.press("alice", "Done")
    await chat.press("alice", "Skip")
    assert [p["text"] for p in await chat.inbox(me) if p["key"] == "track-rated-runner"] == [
        f"The student rated order #{order_id}: 5★. Your credit score changed by +1 and is now 103 (good)."]


@pytest.mark.parametrize(("language", "told"), [
    ("en", "The student rated order #{order}: 1★. Your credit score changed by -3 and is now 59 "
           "(below 60: you cannot take orders until it is back at 60)."),
    ("zh_CN", "下单同学给订单 #{order} 评了 1★。你的信用分变动 -3，现在为 59（低于接单门槛 60 分，回到 60 分之前不能接单）。"),
], ids=["en", "zh_CN"])
async def test_a_runner_a_low_rating_pushes_below_the_grab_floor_is_told_the_change_and_their_score(
        db, campus, clock, chat, services, language, told):
    """Demo campus: a 1★ rating costs 3 points, the grab floor is 60. Before, the rating's notice said the stars
    alone, while an upheld complaint or an operator's /credit tell the change and the new score."""
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await speaks(db, language, runner)
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == runner).values(credit=60))
    await deliver(services, campus, order_id, runner, clock())
    await chat.send("alice", f"/confirm {order_id}")  # completed on time: 62
    me = await external_id(db, runner)
    await chat.inbox(me)
    await chat.press("alice", "1★")
    await chat.press("alice", "Done")
    await chat.press("alice", "Skip")
    assert (await _profile(db, runner)).credit == 59
    told_runner = [p["text"] for p in await chat.inbox(me) if p["key"] == "track-rated-runner"]
    assert told_runner == [told.format(order=order_id)]


async def test_changing_language_in_the_middle_of_rating_asks_the_same_question_in_the_new_one(
        db, campus, clock, chat, services):
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await chat.send("alice", f"/confirm {order_id}")
    await chat.send("alice", "/language")
    replies = await chat.press("alice", "中文")
    assert [r.text for r in replies] == ["已切换为中文。", f"订单 #{order_id} 的跑腿员表现如何？请选择 1 到 5 星。"]
    await chat.press("alice", "4★")
    await chat.press("alice", "准时")
    await chat.send("alice", "/lang")
    replies = await chat.press("alice", "English")  # the stars and the tags chosen so far are kept
    assert keys(replies) == ["start-language-set", "track-rate-tags-ask"]
    assert replies[1].text.startswith("4★. Anything to add?")
    assert [c.label for c in replies[1].flat_choices()][:2] == ["✓ On time", "Polite"]
    await chat.press("alice", "Done")
    await chat.send("alice", "/language")
    replies = await chat.press("alice", "中文")
    assert [r.text for r in replies] == ["已切换为中文。", "想给跑腿员留句评语吗？直接输入，或点击跳过。"]
    assert [c.label for c in replies[1].flat_choices()] == ["跳过"]
    assert keys(await chat.send("alice", "很准时")) == ["track-rate-thanks"]
    row = await order_row(db, order_id)
    assert (row.rating, row.rating_tags, CIPHER.decrypt(row.rating_comment_enc)) == (4, ["on_time"], "很准时")


async def test_changing_language_while_a_complaint_is_asked_for_asks_again_in_the_new_one(
        db, campus, clock, chat, services):
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await chat.inbox("alice")
    await chat.press("alice", "Report a problem")
    await chat.send("alice", "/language")
    replies = await chat.press("alice", "中文")
    assert [r.text for r in replies] == [
        "已切换为中文。", f"订单 #{order_id} 出了什么问题？请用一条消息说明，客服会查看。发送 /menu 退出。"]
    assert keys(await chat.send("alice", "盒子压坏了")) == ["track-complaint-recorded"]
    assert (await order_row(db, order_id)).status == "exception"


async def test_a_repeated_confirm_says_done_and_changes_nothing(db, campus, clock, chat, services):
    _alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await chat.inbox("alice")
    assert keys(await chat.press("alice", "Confirm delivery")) == ["track-rate-ask"]
    postings, outbox, credits = await count(db, LedgerPosting), await count(db, Outbox), await count(db, CreditRecord)

    replies = await chat.press("alice", f"data:o:{order_id}:confirm")
    assert keys(replies) == ["track-already-confirmed"]
    assert replies[0].text.startswith(f"You have already confirmed order #{order_id}")
    assert (await count(db, LedgerPosting), await count(db, Outbox), await count(db, CreditRecord)) == (
        postings, outbox, credits)
    assert await balances(db, ledger.runner(runner)) == [(await order_row(db, order_id)).runner_share]


async def test_confirm_before_delivery_is_refused(db, campus, clock, chat):
    _alice, _runner, order_id = await setup(db, campus, clock, stage="picked_up")
    replies = await chat.send("alice", f"/confirm {order_id}")
    assert keys(replies) == ["track-not-now"] and "picked up" in replies[0].text
    assert (await order_row(db, order_id)).status == "picked_up"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_message_for_someone_who_blocked_the_bot_is_not_said_to_be_sent(db, campus, clock, chat, language):
    # Before, the student read "Sent to your runner." while the runner's copy failed with 403 in the outbox.
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    await chat.send("alice", f"/msg {order_id} hello")  # reaches the runner
    runner_ext = await external_id(db, runner)
    assert len(await chat.inbox(runner_ext)) == 1
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, runner)).started_bot = False  # a private message to them was refused since
        (await uow.session.get(User, alice)).language = language
    replies = await chat.send("alice", f"/msg {order_id} are you coming?")
    assert keys(replies) == ["track-relay-unreachable"]
    assert replies[0].text == catalogue(language)("track-relay-unreachable", other="runner", order=str(order_id))
    assert f"/complain {order_id}" in replies[0].text
    assert await chat.inbox(runner_ext) == []

    # The runner writing to a student who blocked the bot is told the same, the other way round.
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, runner)).started_bot = True
        (await uow.session.get(User, alice)).started_bot = False
    replies = await chat.send(runner_ext, f"/msg {order_id} I am downstairs")
    assert keys(replies) == ["track-relay-unreachable"] and replies[0].args["other"] == "customer"
    assert await chat.inbox("alice") == []


async def test_an_order_number_may_be_written_with_a_chinese_keyboards_number_sign(db, campus, clock, chat):
    """'＃12' as a Chinese keyboard types it reads as '#12' (before: '"＃12" is not a number', and /msg sent it)."""
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    (card,) = await chat.send("alice", f"/track ＃{order_id}")
    assert card.key == "track-card" and f"#{order_id}" in card.text
    runner_ext = await external_id(db, runner)
    assert keys(await chat.send("alice", f"/msg ＃{order_id} at the gate")) == ["track-relay-sent"]
    assert [m["text"] for m in await chat.inbox(runner_ext)] == [f"The student about order #{order_id}: at the gate"]


async def test_msg_without_a_number_goes_to_the_only_order_there_is_to_write_about(db, campus, clock, chat):
    """/msg text, with one order under way with a runner: nothing to choose, so it goes there, both ways. With
    none, or two, the number is asked for and nothing is passed on."""
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    runner_ext = await external_id(db, runner)
    assert keys(await chat.send("alice", "/msg in 5 minutes, please knock")) == ["track-relay-sent"]
    assert [m["text"] for m in await chat.inbox(runner_ext)] == [
        f"The student about order #{order_id}: in 5 minutes, please knock"]
    assert keys(await chat.send(runner_ext, "/msg downstairs now")) == ["track-relay-sent"]
    assert [m["text"] for m in await chat.inbox("alice")] == [f"Your runner about order #{order_id}: downstairs now"]
    # A message that begins with a number other than the order's is all message (before: "There is no order #5").
    assert keys(await chat.send(runner_ext, "/msg 5 minutes away, please come down")) == ["track-relay-sent"]
    assert [m["text"] for m in await chat.inbox("alice")] == [
        f"Your runner about order #{order_id}: 5 minutes away, please come down"]
    assert keys(await chat.send(runner_ext, f"/msg #{order_id} here")) == ["track-relay-sent"]
    assert [m["text"] for m in await chat.inbox("alice")] == [f"Your runner about order #{order_id}: here"]

    second = await make_order(db, campus, alice, clock())
    await act(db, campus, second, Event.accept, Actor(Role.runner, runner), clock())
    # Said how /msg is written (before: '"are" is not an order number').
    replies = await chat.send("alice", "/msg are you coming?")
    assert [r.text for r in replies] == ["Write the message after the order number, like /msg 12 I am at the door."]
    await make_user(db, campus, clock(), name="mallory")  # no order at all
    assert keys(await chat.send("mallory", "/msg hello")) == ["track-msg-usage"]
    assert await chat.inbox(runner_ext) == []


@pytest.mark.parametrize(("language", "told"), [
    ("en", "No runner has taken order #{order} yet; you can message them once one does."),
    ("zh_CN", "订单 #{order} 还没有跑腿员接单；有人接单后就可以给跑腿员留言了。"),
], ids=["en", "zh_CN"])
async def test_messaging_before_any_runner_took_the_order_says_a_runner_has_yet_to_take_it(db, campus, clock, chat,
                                                                                          language, told):
    """Not "no longer" possible, as if a chat had ended: the order waits in the hall, and the chat opens once a
    runner takes it."""
    alice, runner, order_id = await setup(db, campus, clock)  # paid, waiting for a runner
    await speaks(db, language, alice)
    replies = await chat.send("alice", f"/msg {order_id} please bring it upstairs")
    assert [r.text for r in replies] == [told.format(order=order_id)]
    # Without a number too, as it is her only order (before: how /msg is written, the number asked for).
    replies = await chat.send("alice", "/msg where are you")
    assert [r.text for r in replies] == [told.format(order=order_id)]
    unpaid = await make_order(db, campus, alice, clock(), pay=False)
    assert keys(await chat.send("alice", f"/msg {unpaid} hello")) == ["track-chat-no-runner-yet"]
    assert keys(await chat.send("alice", "/msg where are you")) == ["track-msg-usage"]  # which of the two?

    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock())
    assert keys(await chat.send("alice", f"/msg {order_id} please bring it upstairs")) == ["track-relay-sent"]


async def test_relay_reaches_the_other_side_without_phone_or_name(db, campus, clock, chat):
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    runner_ext = await external_id(db, runner)

    replies = await chat.send("alice", f"/msg {order_id} please knock twice")
    assert keys(replies) == ["track-relay-sent"] and replies[0].text == "Sent to your runner."
    relayed = await chat.inbox(runner_ext)
    assert [m["key"] for m in relayed] == ["track-relay"]
    assert relayed[0]["text"] == f"The student about order #{order_id}: please knock twice"
    assert PHONE not in relayed[0]["text"] and "alice" not in relayed[0]["text"]

    # The runner answers with the Reply button: from then on every text goes to the student, photos too.
    replies = await chat.press(runner_ext, "Reply")
    assert keys(replies) == ["track-chat-enter"]
    await chat.send(runner_ext, "I am downstairs")
    await chat.photo(runner_ext, "file-abc")
    messages = await chat.inbox("alice")
    assert [m["key"] for m in messages] == ["track-relay", "track-relay-photo"]
    assert messages[0]["text"] == f"Your runner about order #{order_id}: I am downstairs"
    assert all(PHONE not in m["text"] for m in messages)

    # /menu leaves the chat: the next text is not passed on.
    await chat.send(runner_ext, "/menu")
    await chat.send(runner_ext, "hello?")
    assert await chat.inbox("alice") == []

    # Someone who is neither side cannot write into the order, and a finished order closes the chat.
    await make_user(db, campus, clock(), name="mallory")
    assert keys(await chat.send("mallory", f"/msg {order_id} hi")) == ["error-not-your-order"]
    await chat.press("alice", f"data:o:{order_id}:chat")
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    await act(db, campus, order_id, Event.deliver, Actor(Role.runner, runner), clock())
    await act(db, campus, order_id, Event.confirm, Actor(Role.customer, alice), clock())
    replies = await chat.send("alice", "thanks!")
    assert keys(replies) == ["track-chat-ended"]
    assert await chat.inbox(runner_ext) == []
    assert keys(await chat.send("alice", "hello")) == ["idle-hint", "menu-title"]  # out of the chat


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_language_during_the_chat_keeps_it_open(db, campus, clock, chat, language):
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    runner_ext = await external_id(db, runner)
    assert keys(await chat.press("alice", f"data:o:{order_id}:chat")) == ["track-chat-enter"]
    await chat.send("alice", "/language")
    replies = await chat.press("alice", {"en": "English", "zh_CN": "中文"}[language])
    assert [r.text for r in replies] == [catalogue(language)("start-language-set"), {
        "en": f"You are still messaging your runner of order #{order_id}: everything you send goes to them through "
              "the bot. Send /menu to stop.",
        "zh_CN": f"你仍在给订单 #{order_id} 的跑腿员留言：你发送的消息都会通过机器人转给对方。发送 /menu 结束。"}[language]]
    assert keys(await chat.send("alice", "at the gate")) == ["track-relay-sent"]
    assert [m["text"] for m in await chat.inbox(runner_ext)] == [f"The student about order #{order_id}: at the gate"]

    # A chat that ended meanwhile says so, and is left.
    await chat.send("alice", "/language")
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock())
    await act(db, campus, order_id, Event.deliver, Actor(Role.runner, runner), clock())
    await act(db, campus, order_id, Event.confirm, Actor(Role.customer, alice), clock())
    replies = await chat.press("alice", {"en": "English", "zh_CN": "中文"}[language])
    assert keys(replies) == ["start-language-set", "track-chat-ended"]
    assert keys(await chat.send("alice", "thanks!")) == ["idle-hint", "menu-title"]
    assert await chat.inbox(runner_ext) == []


@pytest.mark.parametrize(("language", "passed_on"), [
    ("en", "The student sent a photo about order #{order}: the blue box, code 3-2-1108"),
    ("zh_CN", "下单同学发来一张图片（订单 #{order}）：the blue box, code 3-2-1108"),
], ids=["en", "zh_CN"])
async def test_a_photo_in_the_chat_is_passed_on_with_its_caption(db, campus, clock, chat, language, passed_on):
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    await speaks(db, language, runner)
    runner_ext = await external_id(db, runner)
    await chat.send("alice", f"/track {order_id}")
    assert keys(await chat.press("alice", "Message your runner")) == ["track-chat-enter"]

    replies = await chat.photo("alice", "file-box", caption=" the blue box, code 3-2-1108 ")
    assert keys(replies) == ["track-relay-sent"]
    (relayed,) = await chat.inbox(runner_ext)
    assert (relayed["photo"], relayed["text"]) == ("file-box", passed_on.format(order=order_id))

    # A caption longer than a relayed text may be is refused like one: nothing is passed on.
    replies = await chat.photo("alice", "file-box-2", caption="x" * (MAX_TEXT + 1))
    assert keys(replies) == ["error-text-too-long"]
    assert await chat.inbox(runner_ext) == []


@pytest.mark.parametrize(("language", "passed_on"), [
    ("en", "The student sent a photo about order #{order} (it cannot be shown here: it was sent on another app): "
           "the blue box"),
    ("zh_CN", "下单同学发来一张图片（订单 #{order}；图片发自另一个应用，此处无法显示）：the blue box"),
], ids=["en", "zh_CN"])
async def test_a_photo_in_the_chat_with_someone_on_another_channel_is_described_not_shown(
        db, campus, clock, chat, language, passed_on):
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    await speaks(db, language, runner)
    async with UnitOfWork(db) as uow:  # the runner uses the bot on WeChat: a Telegram file id means nothing there
        await uow.session.execute(update(User).where(User.id == runner).values(channel="wechat"))
    runner_ext = await external_id(db, runner)
    await chat.send("alice", f"/track {order_id}")
    assert keys(await chat.press("alice", "Message your runner")) == ["track-chat-enter"]

    assert keys(await chat.photo("alice", "file-box", caption="the blue box")) == ["track-relay-sent"]
    (relayed,) = await chat.inbox(runner_ext)
    assert relayed.get("photo") is None and relayed["text"] == passed_on.format(order=order_id)


async def test_a_runner_reassigned_away_can_no_longer_write(db, campus, clock, chat):
    _alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    runner_ext = await external_id(db, runner)
    await chat.press(runner_ext, f"data:o:{order_id}:chat")
    new_runner = await make_runner(db, campus, clock())
    operator = await make_user(db, campus, clock(), name="admin")
    await act(db, campus, order_id, Event.reassign, Actor(Role.operator, operator), clock(), runner_id=new_runner)

    assert keys(await chat.send(runner_ext, "on my way")) == ["track-chat-ended"]
    assert keys(await chat.send(runner_ext, f"/msg {order_id} on my way")) == ["error-not-your-order"]
    assert await chat.inbox("alice") == []
    # The student now reaches the new runner.
    await chat.send("alice", f"/msg {order_id} hi")
    assert [m["key"] for m in await chat.inbox(await external_id(db, new_runner))] == ["track-relay"]


async def test_complaint_is_recorded_and_operators_told(db, campus, clock, chat):
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    assert "console:admin" in campus.operators

    replies = await chat.send("alice", f"/complain {order_id} the runner is not answering")
    assert keys(replies) == ["track-complaint-recorded"]
    async with UnitOfWork(db, write=False) as uow:
        complaints = list(await uow.session.scalars(select(Complaint)))
        history = [e.event for e in await uow.orders.history(order_id)]
    # It is about the runner the order has now: upholding it later costs them, even if the order moves on.
    assert [(c.order_id, c.user_id, c.runner_id, CIPHER.decrypt(c.text_enc), c.status) for c in complaints] == [
        (order_id, alice, runner, "the runner is not answering", "open")]
    assert (await order_row(db, order_id)).status == "exception" and history[-1] == "report"

    told = await chat.inbox("admin")
    assert "track-complaint-operators" in [m["key"] for m in told]
    text = next(m["text"] for m in told if m["key"] == "track-complaint-operators")
    assert f"#{complaints[0].id}" in text and "the runner is not answering" in text

    # A second open complaint by the same student on the same order is refused.
    replies = await chat.send("alice", f"/complain {order_id} still nothing")
    assert keys(replies) == ["track-complaint-exists"]
    assert await count(db, Complaint) == 1
    assert await chat.inbox("admin") == []


async def test_report_button_asks_then_records(db, campus, clock, chat, services):
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await chat.inbox("alice")
    replies = await chat.press("alice", "Report a problem")
    assert keys(replies) == ["track-complain-ask"]
    replies = await chat.send("alice", "the box was crushed")
    assert keys(replies) == ["track-complaint-recorded"]
    assert (await order_row(db, order_id)).status == "exception"
    # A complaint after completion is recorded but nothing moves.
    other = await make_order(db, campus, alice, clock())
    await act(db, campus, other, Event.accept, Actor(Role.runner, runner), clock())
    for event, role, who in ((Event.pickup, Role.runner, runner), (Event.deliver, Role.runner, runner),
                             (Event.confirm, Role.customer, alice)):
        await act(db, campus, other, event, Actor(role, who), clock() + dt.timedelta(minutes=1))
    replies = await chat.send("alice", f"/complain {other} rude on the phone")
    assert keys(replies) == ["track-complaint-recorded"]
    assert (await order_row(db, other)).status == "completed"


@pytest.mark.parametrize(("language", "in_words", "left_out"), [
    ("en", "please describe what went wrong with order #{order} in words", "the photo itself cannot be passed on"),
    ("zh_CN", "请用文字说明订单 #{order} 出了什么问题", "图片本身无法转给客服"),
], ids=["en", "zh_CN"])
async def test_a_complaint_sent_as_a_photo_takes_its_caption_and_asks_for_words_without_one(
        db, campus, clock, chat, services, language, in_words, left_out):
    """Damage is reported the way people show it: the photo, described in its caption. The caption is the complaint
    (the operators are told it, and that the photo did not reach them); a bare photo is asked to be put in words."""
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await speaks(db, language, alice)
    await deliver(services, campus, order_id, runner, clock())
    assert keys(await chat.send("alice", f"/complain {order_id}")) == ["track-complain-ask"]

    replies = await chat.photo("alice", "photo-of-broken-box")
    assert keys(replies) == ["track-complain-in-words"] and in_words.format(order=order_id) in replies[0].text
    assert await count(db, Complaint) == 0

    await chat.inbox("admin")
    replies = await chat.photo("alice", "photo-of-broken-box", caption="The box arrived crushed, see photo")
    assert keys(replies) == ["track-complaint-recorded"] and left_out in replies[0].text
    assert (await order_row(db, order_id)).status == "exception"
    told = [p["text"] for p in await chat.inbox("admin") if p["key"] == "track-complaint-operators"]
    assert len(told) == 1 and "The box arrived crushed, see photo" in told[0]


async def test_a_complaint_asked_for_about_an_order_given_back_meanwhile_ends_the_question(db, campus, clock, chat):
    # Before, the question stayed: everything the student wrote was refused as its text until they sent /menu.
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    assert keys(await chat.send("alice", f"/complain {order_id}")) == ["track-complain-ask"]
    await act(db, campus, order_id, Event.release, Actor(Role.runner, runner), clock())
    assert keys(await chat.send("alice", "he never showed up")) == ["track-complain-not-now"]
    assert await count(db, Complaint) == 0
    assert keys(await chat.send("alice", "hello")) == ["idle-hint", "menu-title"]  # the question is over


async def test_two_complaints_at_once_on_a_completed_order_record_one(db, campus, clock, chat):
    """Nothing about a completed order moves, so only the database can stop the second of two simultaneous ones."""
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    for event, role, who in ((Event.deliver, Role.runner, runner), (Event.confirm, Role.customer, alice)):
        await act(db, campus, order_id, event, Actor(role, who), clock() + dt.timedelta(minutes=1))
    results = await asyncio.gather(*(chat.send("alice", f"/complain {order_id} rude, take {i}") for i in range(2)))
    assert sorted(k for replies in results for k in keys(replies)) == ["track-complaint-exists",
                                                                       "track-complaint-recorded"]
    assert await count(db, Complaint) == 1
    told = [m["key"] for m in await chat.inbox("admin")]
    assert told.count("track-complaint-operators") == 1


async def test_a_cancelled_order_no_runner_ever_took_cannot_be_complained_about(db, campus, clock, chat):
    alice, runner, never_taken = await setup(db, campus, clock)
    await act(db, campus, never_taken, Event.cancel, Actor(Role.customer, alice), clock())
    await chat.inbox("admin")

    replies = await chat.send("alice", f"/track {never_taken}")
    assert "cancelled" in replies[0].text and replies[0].flat_choices() == []  # no Report button
    for attempt in (chat.send("alice", f"/complain {never_taken} nobody came"),
                    chat.send("alice", f"/complain {never_taken}"),
                    chat.press("alice", f"data:o:{never_taken}:report")):
        replies = await attempt
        assert [r.text for r in replies] == [
            f"Order #{never_taken} was cancelled before any runner took it, so there is no runner to complain about."]
    assert await count(db, Complaint) == 0 and await chat.inbox("admin") == []
    assert keys(await chat.send("alice", "hello")) == ["idle-hint", "menu-title"]  # no complaint step was begun

    # Taken, given back, then cancelled: that runner may be complained about.
    released = await make_order(db, campus, alice, clock())
    await act(db, campus, released, Event.accept, Actor(Role.runner, runner), clock())
    await act(db, campus, released, Event.release, Actor(Role.runner, runner), clock())
    await act(db, campus, released, Event.cancel, Actor(Role.customer, alice), clock())
    assert [c.label for c in (await chat.send("alice", f"/track {released}"))[0].flat_choices()] == [
        "Report a problem"]
    assert keys(await chat.send("alice", f"/complain {released} dropped it")) == ["track-complaint-recorded"]
    # Cancelled while the runner had it: likewise.
    accepted = await make_order(db, campus, alice, clock())
    await act(db, campus, accepted, Event.accept, Actor(Role.runner, runner), clock())
    await act(db, campus, accepted, Event.cancel, Actor(Role.customer, alice), clock())
    assert keys(await chat.send("alice", f"/complain {accepted} never answered")) == ["track-complaint-recorded"]
    assert await count(db, Complaint) == 2


async def _profile(db, runner):
    async with UnitOfWork(db, write=False) as uow:
        return await uow.runners.get(runner)



async def test_the_card_in_chinese(db, campus, clock, chat):
    carol = await make_user(db, campus, clock(), name="carol")  # new users speak the default language, Chinese
    order_id = await make_order(db, campus, carol, clock())
    total = format_yuan((await order_row(db, order_id)).total)
    replies = await chat.send("carol", f"/track {order_id}")
    assert "10:00  已支付" in replies[0].text
    assert [c.label for c in replies[0].flat_choices()] == [f"取消订单（{total} 元退回钱包）"]
    replies = await chat.press("carol", f"取消订单（{total} 元退回钱包）")
    assert keys(replies) == ["track-cancel-confirm"] and f"{total} 元将全额退回你的钱包" in replies[0].text


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_cancelling_an_order_on_hold_says_it_is_under_review_not_picked_up(db, campus, clock, chat, language):
    """A complaint puts an order the runner has not picked up yet on hold: cancelling it then is not possible, and
    the student is told that an operator decides now — not that it was picked up, nor to complain again."""
    alice, _runner, order_id = await setup(db, campus, clock, stage="accepted")
    await speaks(db, language, alice)
    await chat.send("alice", f"/complain {order_id} the runner is not answering")
    assert (await order_row(db, order_id)).status == "exception"
    total = (await order_row(db, order_id)).total
    t = catalogue(language)
    for attempt in (chat.send("alice", f"/cancel {order_id}"),
                    chat.press("alice", f"data:o:{order_id}:cancel"),
                    chat.press("alice", f"data:o:{order_id}:cancel_yes:{total}")):
        replies = await attempt
        assert keys(replies) == ["track-cancel-under-review"]
        assert replies[0].text == t("track-cancel-under-review", order=str(order_id))
        assert "/complain" not in replies[0].text
    assert (await order_row(db, order_id)).status == "exception"
    assert await balances(db, ledger.escrow(order_id)) == [total]


async def test_keeping_an_order_after_asking_to_cancel_it_replaces_the_question(db, campus, clock, chat):
    """"No, keep it" shows the order in the question's place, so its "Yes, cancel it" does not stay up to be pressed
    by mistake later, as "Yes" does; opening an order from the list still leaves the list where it was."""
    _alice, _runner, order_id = await setup(db, campus, clock)
    await chat.send("alice", f"/cancel {order_id}")
    replies = await chat.press("alice", "No, keep it", message="41")
    assert keys(replies) == ["track-card"] and replies[0].edit
    assert "Cancel (" in [c.label for c in replies[0].flat_choices()][0]  # the card's own Cancel, asked again
    assert (await order_row(db, order_id)).status == "open"

    await chat.send("alice", "/orders")
    replies = await chat.press("alice", f"Open #{order_id}", message="42")
    assert keys(replies) == ["track-card"] and not replies[0].edit


# --- one-message actions leave a conversation in progress alone ---------------------------------------------------

async def test_a_stale_rate_button_leaves_the_order_form_in_progress_alone(db, campus, clock, chat, services):
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    async with UnitOfWork(db) as uow:  # completed and rated already (say, from another device)
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(
            status="completed", rating=5, rating_tags=[]))

    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]
    assert keys(await chat.send("alice", "Parcel pickup"))[-1] == "order-ask-pickup"
    before = await conversation(services, "alice")

    replies = await chat.press("alice", f"data:o:{order_id}:rate")  # the auto-confirm notice's old Rate button
    assert keys(replies) == ["track-already-rated"]

    # Nothing changed: the form still waits for the pickup place, with its answers.
    state, data = await conversation(services, "alice")
    assert state == before[0] == "order.pickup", state
    assert data.get("task") == "parcel"
    assert keys(await chat.send("alice", "快递站"))[-1] == "order-ask-dropoff"


async def test_a_complaint_typed_whole_leaves_the_order_form_in_progress_alone(db, campus, clock, chat, services):
    """/complain N text, like /msg N text, is done in one message: the form the student was filling waits on."""
    alice, runner, order_id = await setup(db, campus, clock, stage="accepted")
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]
    assert keys(await chat.send("alice", "Parcel pickup"))[-1] == "order-ask-pickup"

    replies = await chat.send("alice", f"/complain {order_id} the runner is not answering")
    assert keys(replies)[-1] == "track-complaint-recorded"

    state, data = await conversation(services, "alice")
    assert state == "order.pickup", state
    assert keys(await chat.send("alice", "快递站"))[-1] == "order-ask-dropoff"



async def test_apply_status_leaves_the_order_form_alone(db, campus, clock, chat, services):
    """A runner asking /apply (their application's status) while ordering an errand of their own."""
    _alice, runner, _order_id = await setup(db, campus, clock, stage="accepted")

    me = await external_id(db, runner)
    await chat.send(me, "/order")
    await chat.send(me, "Parcel pickup")
    assert keys(await chat.send(me, "/apply")) == ["runner-apply-status"]
    assert (await conversation(services, me))[0] == "order.pickup"


# --- a rating or a complaint's question asked in the middle of the order form: the form waits, then carries on -----

async def form_at_dropoff(chat):
    """alice half way through ordering her next errand: a parcel from the parcel station, the dropoff asked."""
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]
    await chat.send("alice", "Parcel pickup")
    assert keys(await chat.send("alice", "快递站"))[-1] == "order-ask-dropoff"


async def test_confirming_a_delivery_in_the_middle_of_the_order_form_carries_the_form_on_after_the_rating(
        db, campus, clock, chat, services):
    """The delivery notice's Confirm starts the rating: the form's answers wait, and once rated its question comes
    again, where the next answer goes (not 'not understood')."""
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await form_at_dropoff(chat)

    assert keys(await chat.press("alice", f"data:o:{order_id}:confirm")) == ["track-rate-ask"]
    await chat.press("alice", "5★")
    await chat.send("alice", "/language")  # the rating carries on in the language chosen, and the form after it
    await chat.press("alice", "English")
    await chat.press("alice", "Done")
    replies = await chat.press("alice", "Skip")
    assert keys(replies) == ["track-rate-thanks", "order-ask-dropoff"]
    assert replies[1].request_location  # the question as the form asks it, location button and all
    assert (await order_row(db, order_id)).rating == 5

    assert keys(await chat.send("alice", "F3"))[-1] == "order-ask-room"
    state, data = await conversation(services, "alice")
    assert (state, data.get("task"), data.get("pickup"), data.get("dropoff")) == (
        "order.room", "parcel", "parcel_station", "dorm_f3")
    assert not {"rate_order", "rate_stars", "rate_tags"} & data.keys()


async def test_confirming_a_delivery_while_the_language_picker_interrupts_the_order_form_carries_the_form_on(
        db, campus, clock, chat, services):
    # Before, the rating took the picker's step for the form's: once rated, the form's answers were gone.
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await form_at_dropoff(chat)
    assert keys(await chat.send("alice", "/language")) == ["start-pick-language"]

    assert keys(await chat.press("alice", f"data:o:{order_id}:confirm")) == ["track-rate-ask"]
    await chat.press("alice", "5★")
    await chat.press("alice", "Done")
    assert keys(await chat.press("alice", "Skip")) == ["track-rate-thanks", "order-ask-dropoff"]
    assert keys(await chat.send("alice", "F3"))[-1] == "order-ask-room"
    state, data = await conversation(services, "alice")
    assert (state, data.get("task"), data.get("pickup")) == ("order.room", "parcel", "parcel_station")


async def test_messaging_a_runner_while_the_language_picker_interrupts_the_order_form_says_the_form_is_closed(
        db, campus, clock, chat, services):
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await form_at_dropoff(chat)
    await chat.send("alice", "/language")
    replies = await chat.press("alice", f"data:o:{order_id}:chat")
    assert keys(replies) == ["order-form-closed-for-chat", "track-chat-enter"]


async def test_rating_by_command_in_the_middle_of_the_order_form_carries_the_form_on(db, campus, clock, chat, services):
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await chat.send("alice", f"/confirm {order_id}")
    await chat.send("alice", "/menu")  # rated later, from the auto-confirm notice's Rate or /rate
    await form_at_dropoff(chat)
    assert keys(await chat.send("alice", f"/rate {order_id}")) == ["track-rate-ask"]
    await chat.press("alice", "3★")
    await chat.press("alice", "Done")
    assert keys(await chat.send("alice", "fine")) == ["track-rate-thanks", "order-ask-dropoff"]


async def test_reporting_a_problem_in_the_middle_of_the_order_form_carries_the_form_on(db, campus, clock, chat,
                                                                                      services):
    """Report a problem asks what went wrong: once that is told (or the question ends), the form's question again."""
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await deliver(services, campus, order_id, runner, clock())
    await form_at_dropoff(chat)

    assert keys(await chat.press("alice", f"data:o:{order_id}:report")) == ["track-complain-ask"]
    replies = await chat.send("alice", "The box arrived crushed")
    assert keys(replies) == ["track-complaint-recorded", "order-ask-dropoff"]
    assert keys(await chat.send("alice", "F3"))[-1] == "order-ask-room"

    # A complaint's question that can no longer be answered ends, saying why, and the form carries on as well.
    await chat.send("alice", f"/complain {order_id}")
    replies = await chat.send("alice", "and it was late")
    assert keys(replies) == ["track-complaint-exists", "order-ask-room"]


async def test_messaging_the_runner_in_the_middle_of_the_order_form_says_the_form_is_closed(db, campus, clock, chat,
                                                                                           services):
    """Everything typed in the chat goes to the runner until /menu, so the form cannot wait: the student is told it
    is closed, rather than find out when the answers are gone."""
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    await form_at_dropoff(chat)
    replies = await chat.press("alice", f"data:o:{order_id}:chat")
    assert keys(replies) == ["order-form-closed-for-chat", "track-chat-enter"]
    assert "nothing was ordered" in replies[0].text
    assert (await conversation(services, "alice"))[0] == "track.chat"


async def test_messaging_a_runner_from_a_rating_that_set_the_order_form_aside_says_the_form_is_closed(
        db, campus, clock, chat, services):
    # Before, only a chat opened from the form itself said so: one opened from the rating lost the form silently.
    alice, runner, order_id = await setup(db, campus, clock, stage="picked_up")
    other = await make_order(db, campus, alice, clock())
    await act(db, campus, other, Event.accept, Actor(Role.runner, runner), clock())
    await deliver(services, campus, order_id, runner, clock())
    await form_at_dropoff(chat)
    assert keys(await chat.press("alice", f"data:o:{order_id}:confirm")) == ["track-rate-ask"]

    replies = await chat.press("alice", f"data:o:{other}:chat")  # the runner of her other order
    assert keys(replies) == ["order-form-closed-for-chat", "track-chat-enter"]
    state, data = await conversation(services, "alice")
    assert state == "track.chat" and "dropoff" not in data and "_form" not in data
