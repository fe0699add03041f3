"""The goods cost more than the goods money (补差价): the runner asks the student for the difference, who pays it,
from the wallet or through a provider, or refuses it; until then the order cannot be delivered."""
from __future__ import annotations

import datetime as dt

from core import ledger
from handlers.sweep import sweep
from storage.models import User
from storage.uow import UnitOfWork
from tests.factories import top_up
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_buy_for_me import GOODS, asked_the_cost, balances
from tests.handlers.test_ordering import answer_all, funded, orders_of
from tests.handlers.test_runner import order_row, runner

ASKED = 6250  # the goods cost 62.50 yuan of the 50 given
EXTRA = ASKED - GOODS


async def asked_the_difference(chat, services, db, campus, clock) -> int:
    """Rob bought Alice's goods for 62.50 yuan, 12.50 more than the 50 she gave: she is asked for the difference."""
    order_id = await asked_the_cost(chat, services, db, campus, clock)
    await chat.inbox("alice")
    replies = await chat.send("rob", "62.5")
    assert keys(replies) == ["runner-extra-asked", "runner-picked-up"]  # then on as after any pickup: the photo
    assert replies[0].text == (
        f"The goods of order #{order_id} cost 62.50 yuan, 12.50 yuan more than the 50.00 yuan given. The student is "
        "asked to pay the 12.50 yuan difference; you are told when they answer, and deliver once they pay. Another "
        f"figure: /picked {order_id} and the amount.")
    return order_id


async def wallet(db, user_id: int) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return await uow.ledger.balance(ledger.customer(user_id))


async def test_the_student_pays_the_difference_from_the_wallet_and_the_runner_is_paid_back_all_they_spent(
        chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    row = await order_row(db, order_id)
    alice, rob, total = row.customer_id, row.runner_id, row.total
    assert (row.status, row.goods_extra, row.goods_spent) == ("picked_up", EXTRA, None)
    (asked,) = await chat.inbox("alice")
    assert asked["text"] == (
        f"The goods of order #{order_id} cost 62.50 yuan, 12.50 yuan more than the 50.00 yuan you gave for them. Your "
        "runner asks you to pay the 12.50 yuan difference; until you answer, they cannot hand the order over. If you "
        "refuse, your runner is told, and settles it with you in the chat or reports it to an operator.")
    assert [c["label"] for line in asked["choices"] for c in line] == [
        "Pay the 12.50 yuan difference from my wallet", "Refuse the difference"]
    # Not delivered while the difference waits: Delivered says so, and offers another figure.
    assert keys(await chat.press("rob", "Delivered")) == ["runner-ask-spent-extra"]
    assert (await order_row(db, order_id)).status == "picked_up"

    # Her wallet is empty (it paid the order): refused, and nothing changes.
    replies = await chat.press("alice", "Pay the 12.50 yuan difference from my wallet")
    assert keys(replies) == ["extra-insufficient"]
    assert replies[0].text == "Your balance is 0.00 yuan, the difference is 12.50 yuan: 12.50 yuan is missing."
    assert [c.data for c in replies[0].flat_choices()] == [f"extra:{order_id}:{EXTRA}", f"noextra:{order_id}:{EXTRA}"]
    assert (await order_row(db, order_id)).goods_extra == EXTRA
    await top_up(db, alice, 2000, clock())
    await chat.inbox("alice")
    replies = await chat.press("alice", f"data:extra:{order_id}:{EXTRA}")
    assert [r.text for r in replies] == [
        f"Paid the 12.50 yuan goods difference of order #{order_id} from your wallet. Balance: 7.50 yuan."]
    row = await order_row(db, order_id)
    assert (row.goods, row.goods_spent, row.goods_extra, row.total) == (ASKED, ASKED, 0, total + EXTRA)
    # The asking message loses its buttons; the runner may deliver now, from their notice too.
    (ended,) = await chat.inbox("alice")
    assert ended["text"] == f"Order #{order_id}: the 12.50 yuan goods difference is paid." and not ended["choices"]
    (told,) = [m for m in await chat.inbox("rob") if m["key"] == "notice-extra-paid"]
    assert told["text"] == (f"The student of order #{order_id} paid the 12.50 yuan goods difference: you are paid back "
                            "the 62.50 yuan you spent when the order completes. You can deliver it now.")
    # A second press (or a replayed update) pays nothing again.
    assert keys(await chat.press("alice", f"data:extra:{order_id}:{EXTRA}")) == ["extra-not-asked"]
    assert await wallet(db, alice) == 2000 - EXTRA

    assert keys(await chat.press("rob", "Delivered")) == ["runner-delivered"]
    await chat.inbox("alice")
    await chat.send("alice", f"/confirm {order_id}")
    accounts, books_total = await balances(db)
    assert books_total == 0 and accounts.get(ledger.escrow(order_id), 0) == 0
    assert accounts[ledger.customer(alice)] == 2000 - EXTRA  # nothing of the goods money was left to give back
    assert accounts[ledger.runner(rob)] == row.runner_share + ASKED
    assert accounts[ledger.PLATFORM_REVENUE] == row.commission  # none on the goods, nor their difference
    # Her bill adds up to what she paid, the difference on its own line; her wallet names it.
    (card,) = await chat.send("alice", f"/track {order_id}")
    assert "Goods difference, paid after the purchase: 12.50" in card.text
    assert f"Total: {(total + EXTRA) // 100}.{(total + EXTRA) % 100:02d} yuan" in card.text
    (movements,) = await chat.send("alice", "/wallet")
    assert f"Goods difference of order #{order_id} -12.50" in movements.text


async def test_a_refused_difference_leaves_the_runner_to_buy_within_the_goods_money(
        chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    await chat.inbox("alice")
    replies = await chat.press("alice", "Refuse the difference")
    assert keys(replies) == ["extra-refused"]
    row = await order_row(db, order_id)
    assert (row.goods_extra, row.goods_spent, row.goods) == (0, None, GOODS)
    (ended,) = await chat.inbox("alice")
    assert "was refused" in ended["text"] and not ended["choices"]
    (told,) = [m for m in await chat.inbox("rob") if m["key"] == "notice-extra-refused"]
    assert told["text"].startswith(f"The student of order #{order_id} will not pay the 12.50 yuan goods difference.")
    # Nothing to pay any more. Asked again after all (she changed her mind in the chat): a message of its own,
    # not an edit of the refused one far up her chat, and no pickup photo step again for the runner.
    assert keys(await chat.press("alice", f"data:extra:{order_id}:{EXTRA}")) == ["extra-not-asked"]
    assert keys(await chat.send("rob", f"/picked {order_id} 62.5")) == ["runner-extra-asked"]
    (again,) = await chat.inbox("alice")
    assert (again["key"], again["edit_key"]) == ("notice-extra-asked", f"extra-2:{order_id}")
    assert keys(await chat.press("alice", "Refuse the difference")) == ["extra-refused"]
    # Then the runner settles within the goods money, and it goes on as any buy task.
    await chat.send("rob", f"/picked {order_id} 48")
    assert (await order_row(db, order_id)).goods_spent == 4800
    assert keys(await chat.send("rob", f"/delivered {order_id}")) == ["runner-delivered"]


async def test_a_new_figure_replaces_the_difference_and_an_old_button_pays_nothing(chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    alice = (await order_row(db, order_id)).customer_id
    await top_up(db, alice, 5000, clock())
    await chat.inbox("alice")
    assert keys(await chat.send("rob", f"/picked {order_id} 55")) == ["runner-extra-asked"]  # no photo step again
    assert (await order_row(db, order_id)).goods_extra == 500
    messages = await chat.inbox("alice")
    assert [(m["key"], m["edit_key"]) for m in messages] == [
        ("notice-extra-asked", f"extra-2:{order_id}"), ("notice-extra-ended", f"extra-1:{order_id}")]
    assert "asks for another amount instead" in messages[1]["text"]
    # The old message's Pay, pressed before its edit arrived: nothing is charged, the new amount is shown.
    replies = await chat.press("alice", f"data:extra:{order_id}:{EXTRA}")
    assert keys(replies) == ["extra-changed"]
    assert [c.data for c in replies[0].flat_choices()] == [f"extra:{order_id}:500", f"noextra:{order_id}:500"]
    assert await wallet(db, alice) == 5000
    assert keys(await chat.send("rob", f"/picked {order_id} 55")) == ["error-extra-same"]
    assert keys(await chat.press("alice", f"data:extra:{order_id}:500")) == ["extra-paid"]
    assert await wallet(db, alice) == 4500


async def test_buying_within_the_goods_money_withdraws_the_difference(chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    await chat.inbox("alice")
    replies = await chat.press("rob", "Delivered")  # asks the cost again: all of the goods money delivers
    assert keys(replies) == ["runner-ask-spent-extra"]
    # Not "All": the runner said the goods cost more, which this button would drop.
    assert [c.label for c in replies[0].flat_choices()][:1] == ["Drop the difference: only 50.00 yuan spent"]
    assert keys(await chat.press("rob", "Drop the difference: only 50.00 yuan spent")) == ["runner-delivered"]
    row = await order_row(db, order_id)
    assert (row.status, row.goods_spent, row.goods_extra) == ("delivered", GOODS, 0)
    messages = await chat.inbox("alice")
    assert [m["key"] for m in messages] == ["notice-bought", "notice-extra-ended", "notice-delivered"]
    assert "no longer asked: your runner settled for what the goods money pays for" in messages[1]["text"]
    assert keys(await chat.press("alice", f"data:noextra:{order_id}:{EXTRA}")) == ["extra-not-asked"]


async def test_only_the_student_answers_and_forged_buttons_change_nothing(chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    for who, data, refusal in [("rob", f"extra:{order_id}:{EXTRA}", "error-not-your-order"),
                               ("rob", f"noextra:{order_id}:{EXTRA}", "error-not-your-order"),
                               ("alice", f"extra:{order_id}:abc", "error-stale-choice"),
                               ("alice", f"extra:{order_id + 100}:{EXTRA}", "error-order-not-found")]:
        assert keys(await chat.press(who, f"data:{data}")) == [refusal], data
    assert (await order_row(db, order_id)).goods_extra == EXTRA


async def test_more_than_the_campus_allows_for_goods_is_refused(chat, services, db, campus, clock):
    order_id = await asked_the_cost(chat, services, db, campus, clock)
    replies = await chat.send("rob", "600")
    assert keys(replies) == ["runner-extra-over-max"]
    assert replies[0].text.startswith(f"The goods of order #{order_id} may cost at most 300.00 yuan in all.")
    row = await order_row(db, order_id)
    assert (row.goods_extra, row.goods_spent) == (0, None)
    assert keys(await chat.send("rob", "62.5")) == ["runner-extra-asked", "runner-picked-up"]  # still asked


async def test_a_goods_limit_lowered_after_the_order_was_placed_still_lets_the_runner_ask_the_difference(
        chat, services, db, campus, clock):
    """Orders already placed keep their price terms: a max_goods lowered to 30 yuan after Alice placed her buy task
    with 50 yuan of goods money does not stop Rob asking for the 12.50 difference (up to the 300 she ordered under)."""
    alice = await funded(chat, services, "alice", 10_000)
    await runner(db, campus, clock(), "rob")
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", ["Buy for me", "Supermarket", "Library", "Skip", "Apples", "50", "1", "small",
                                     "now", "Done", "Skip", "Anyone", "Skip", "0", "No coupon", "Confirm"])
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    [order] = await orders_of(services, alice)
    await operator(chat)
    assert keys(await chat.send(OP, "/pricing set max_goods 30")) == ["pricing-set"]
    assert keys(await chat.press("rob", f"data:g:{order.id}", chat="hall:demo")) == ["grab-won"]
    await chat.inbox("rob")  # the order's details, with Picked up
    assert keys(await chat.press("rob", "Picked up")) == ["runner-ask-spent"]
    assert keys(await chat.send("rob", "62.5")) == ["runner-extra-asked", "runner-picked-up"]
    assert (await order_row(db, order.id)).goods_extra == EXTRA
    replies = await chat.send("rob", f"/picked {order.id} 301")  # past the 300 yuan it was placed under
    assert replies[0].text.startswith(f"The goods of order #{order.id} may cost at most 300.00 yuan in all.")


async def test_an_order_placed_before_its_goods_limit_was_kept_goes_by_the_campus_limit_now(
        chat, services, db, campus, clock):
    order_id = await asked_the_cost(chat, services, db, campus, clock)
    async with UnitOfWork(db) as uow:  # as migration 0018 leaves the orders placed before it
        (await uow.orders.get_row(order_id)).max_goods = None
    await operator(chat)
    await chat.send(OP, "/pricing set max_goods 30")
    replies = await chat.send("rob", "62.5")
    assert keys(replies) == ["runner-extra-over-max"]
    assert replies[0].text.startswith(f"The goods of order #{order_id} may cost at most 30.00 yuan in all.")


async def test_a_provider_payment_pays_the_difference_once_and_a_stale_one_stays_in_the_wallet(
        chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    alice = (await order_row(db, order_id)).customer_id
    # An amount no longer asked: kept in the wallet, nothing paid.
    replies = await chat.pay("alice", "telegram", "charge-old", order_id, 900, extra=900)
    assert keys(replies) == ["extra-payment-kept"]
    assert (await order_row(db, order_id)).goods_extra == EXTRA and await wallet(db, alice) == 900
    replies = await chat.pay("alice", "telegram", "charge-1", order_id, EXTRA, extra=EXTRA)
    assert [r.text for r in replies] == [
        f"Received 12.50 yuan: the 12.50 yuan goods difference of order #{order_id} is paid."]
    assert (await order_row(db, order_id)).goods_spent == ASKED
    assert keys(await chat.pay("alice", "telegram", "charge-1", order_id, EXTRA, extra=EXTRA)) == ["wallet-charge-seen"]
    assert await wallet(db, alice) == 900
    _, books_total = await balances(db)
    assert books_total == 0


async def test_a_report_ends_the_request_and_the_operator_gives_the_cost(chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    await chat.inbox("alice")
    await chat.press("alice", "data:o:%d:report" % order_id)
    await chat.send("alice", "He wants more money than I gave")
    row = await order_row(db, order_id)
    assert (row.status, row.goods_extra) == ("exception", 0)
    assert "no longer asked: the order has moved on" in [
        m for m in await chat.inbox("alice") if m["key"] == "notice-extra-ended"][0]["text"]
    assert keys(await chat.press("alice", f"data:extra:{order_id}:{EXTRA}")) == ["extra-not-asked"]


async def test_the_delivery_deadline_waits_for_the_students_answer(chat, services, db, campus, clock):
    """No late reminder or late delivery counts against the runner while the student decides; once answered,
    the deadline runs on with the time it stood still added."""
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    deliver_by = (await order_row(db, order_id)).deliver_by
    waited = dt.timedelta(minutes=campus.timeouts.deliver_minutes * 3)
    clock.advance(seconds=waited.total_seconds())
    await sweep(services, clock())
    assert not [m for m in await chat.inbox("rob") if m["key"].startswith("sweep-")]
    await chat.inbox("alice")
    await chat.press("alice", "Refuse the difference")
    row = await order_row(db, order_id)
    assert row.deliver_by == deliver_by + waited and row.extra_asked_at is None
    await chat.send("rob", f"/picked {order_id} 50")
    await chat.send("rob", f"/delivered {order_id}")
    assert (await order_row(db, order_id)).delivered_late is False


async def test_the_operator_sees_the_runners_figure_in_the_history(chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    await chat.inbox("alice")
    await chat.press("alice", "Refuse the difference")
    await operator(chat)
    (card,) = await chat.send(OP, f"/find {order_id}")
    assert "goods difference asked" in card.text and '"¥62.50"' in card.text
    assert "goods difference refused" in card.text


async def test_a_provider_payment_whose_difference_moved_on_meanwhile_stays_in_the_wallet(
        chat, services, db, campus, clock, monkeypatch):
    """The runner gives a new figure just as the charge is booked (the order's compare-and-set fails): the money
    received is kept all the same, in the wallet, and the student told so."""
    from handlers import goods_extra
    from storage.orders_repo import StaleOrder

    order_id = await asked_the_difference(chat, services, db, campus, clock)
    alice = (await order_row(db, order_id)).customer_id
    moved = goods_extra.paid

    async def raced(ctx, row, role):
        await moved(ctx, row, role)
        raise StaleOrder(order_id=order_id)

    monkeypatch.setattr(goods_extra, "paid", raced)
    assert keys(await chat.pay("alice", "telegram", "charge-raced", order_id, EXTRA, extra=EXTRA)) == [
        "extra-payment-kept"]
    assert await wallet(db, alice) == EXTRA
    row = await order_row(db, order_id)
    assert (row.goods_extra, row.goods_spent) == (EXTRA, None)


async def test_no_difference_is_asked_of_a_student_who_cannot_answer(chat, services, db, campus, clock):
    order_id = await asked_the_cost(chat, services, db, campus, clock)
    row = await order_row(db, order_id)
    async with UnitOfWork(db) as uow:
        (await uow.session.get(User, row.customer_id)).started_bot = False  # they blocked the bot
    replies = await chat.send("rob", "62.5")
    assert keys(replies) == ["runner-extra-unanswerable"]
    assert (await order_row(db, order_id)).goods_extra == 0
    assert not [m for m in await chat.inbox("alice") if m["key"] == "notice-extra-asked"]


async def test_a_runner_asks_a_difference_at_most_three_times(chat, services, db, campus, clock):
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    for figure in ("55", "60"):
        assert keys(await chat.send("rob", f"/picked {order_id} {figure}")) == ["runner-extra-asked"]
    replies = await chat.send("rob", f"/picked {order_id} 58")
    assert keys(replies) == ["runner-extra-too-many"]
    assert (await order_row(db, order_id)).goods_extra == 1000  # the third figure stands
    assert keys(await chat.send("rob", f"/picked {order_id} 50")) == ["runner-picked-up"]  # within: as ever


async def test_a_wallet_spent_as_the_difference_is_paid_offers_the_ways_to_pay_again(
        chat, services, db, campus, clock, monkeypatch):
    from handlers import goods_extra

    order_id = await asked_the_difference(chat, services, db, campus, clock)
    await chat.inbox("alice")
    looked = iter([EXTRA, 0])  # enough when looked at, spent elsewhere by the time it is paid

    async def balance(ctx):
        return next(looked)

    monkeypatch.setattr(goods_extra, "balance", balance)
    replies = await chat.press("alice", "Pay the 12.50 yuan difference from my wallet")
    assert keys(replies) == ["extra-insufficient"]
    assert [c.data for c in replies[0].flat_choices()] == [f"extra:{order_id}:{EXTRA}", f"noextra:{order_id}:{EXTRA}"]
    row = await order_row(db, order_id)
    assert (row.goods_extra, row.goods_spent, row.goods) == (EXTRA, None, GOODS)


async def test_a_provider_charge_above_a_small_difference_pays_it_and_keeps_the_rest_in_the_wallet(
        chat, services, db, campus, clock):
    """A provider's smallest charge (Telegram's, about 8 yuan) is more than a 3 yuan difference."""
    order_id = await asked_the_cost(chat, services, db, campus, clock)
    await chat.send("rob", "53")
    alice = (await order_row(db, order_id)).customer_id
    # Less than the difference pays none of it: kept in the wallet.
    assert keys(await chat.pay("alice", "telegram", "charge-short", order_id, 200, extra=300)) == ["extra-payment-kept"]
    assert (await order_row(db, order_id)).goods_extra == 300
    replies = await chat.pay("alice", "telegram", "charge-min", order_id, 800, extra=300)
    assert [r.text for r in replies] == [
        f"Received 8.00 yuan: the 3.00 yuan goods difference of order #{order_id} is paid. The other 5.00 yuan is in "
        "your wallet (balance 7.00 yuan)."]
    assert (await order_row(db, order_id)).goods_spent == 5300 and await wallet(db, alice) == 700


async def refused_and_reported(chat, services, db, campus, clock):
    """Alice refused the difference, and Rob complained of it; an operator is there. (order id, complaint, row)"""
    order_id = await asked_the_difference(chat, services, db, campus, clock)
    await chat.inbox("alice")
    await chat.press("alice", "Refuse the difference")
    replies = await chat.send("rob", f"/complain {order_id} I spent 62.50, she will not pay the 12.50 difference")
    assert keys(replies) == ["track-complaint-recorded"]
    row = await order_row(db, order_id)
    assert row.status == "exception"
    await operator(chat)
    return order_id, int(replies[0].args["complaint"]), row


async def test_a_refused_difference_reported_by_the_runner_is_made_good_by_the_operator(
        chat, services, db, campus, clock):
    """The student refuses, the runner reports it: the operator completes the order with the goods money as the
    cost and upholds the runner's complaint with the rest as a compensation, so the runner is out of nothing."""
    order_id, complaint, row = await refused_and_reported(chat, services, db, campus, clock)
    done = await chat.send(OP, f"/uphold {complaint} ¥12.5 goods cost more than the student gave")
    assert keys(done) == ["admin-complaint-done"]
    assert done[0].text.startswith(f"Complaint #{complaint} upheld. Compensation paid to the runner rob")
    assert "12.50 yuan" in done[0].text
    assert keys(await chat.send(OP, f"/resolve {order_id} complete spent ¥50")) == ["admin-resolved"]
    accounts, books_total = await balances(db)
    assert books_total == 0 and accounts.get(ledger.escrow(order_id), 0) == 0
    assert accounts[ledger.runner(row.runner_id)] == row.runner_share + ASKED  # all 62.50 back, and the fee
    assert accounts[ledger.PLATFORM_REVENUE] == row.commission - EXTRA
    assert accounts.get(ledger.customer(row.customer_id), 0) == 0
    (told,) = [m for m in await chat.inbox("rob") if m["key"] == "admin-compensated"]
    assert told["text"] == (f"You received 12.50 yuan compensation for order #{order_id}, in your runner wallet "
                            "(/income). Sorry for the trouble.")
    # Into their earnings to withdraw, though not counted as earned from errands.
    (income,) = await chat.send("rob", "/income")
    balance = row.runner_share + ASKED
    assert f"Wallet: {balance // 100}.{balance % 100:02d} yuan" in income.text
    assert f"Earned today: {row.runner_share // 100}.{row.runner_share % 100:02d} yuan" in income.text


async def test_a_runners_complaint_upheld_by_the_resolution_is_compensated_afterwards(
        chat, services, db, campus, clock):
    """/resolve upholds the runner's complaint with the order and pays a compensation only to the student; the
    runner's is paid by /uphold after it, once, without deciding the complaint again."""
    order_id, complaint, row = await refused_and_reported(chat, services, db, campus, clock)
    assert keys(await chat.send(OP, f"/resolve {order_id} complete spent ¥50")) == ["admin-resolved"]
    assert keys(await chat.send(OP, f"/uphold {complaint}")) == ["admin-complaint-decided"]
    await chat.inbox("rob")
    replies = await chat.send(OP, f"/uphold {complaint} 12.5元 goods cost more than the student gave")
    assert [r.text for r in replies] == [
        f"Complaint #{complaint} was upheld already; now compensation paid to the runner rob (#{row.runner_id}): "
        "12.50 yuan."]
    assert [m["key"] for m in await chat.inbox("rob")] == ["admin-compensated"]  # not told "upheld" twice
    accounts, books_total = await balances(db)
    assert books_total == 0 and accounts[ledger.runner(row.runner_id)] == row.runner_share + ASKED
    refused = await chat.send(OP, f"/uphold {complaint} ¥12.5")
    assert keys(refused) == ["admin-already-compensated"]
    assert (await balances(db))[0][ledger.runner(row.runner_id)] == row.runner_share + ASKED


async def test_a_runners_compensation_may_reach_the_campus_goods_limit(chat, services, db, campus, clock):
    """A difference may be up to the goods limit, which a campus may set above the usual 500 yuan cap."""
    order_id, complaint, row = await refused_and_reported(chat, services, db, campus, clock)
    before = (await balances(db))[0].get(ledger.runner(row.runner_id), 0)
    refused = await chat.send(OP, f"/uphold {complaint} ¥600")
    assert [r.text for r in refused] == ["The amount must be more than 0 and at most 500.00 yuan."]
    assert (await balances(db))[0].get(ledger.runner(row.runner_id), 0) == before
    await chat.send(OP, "/pricing set max_goods 800")
    assert keys(await chat.send(OP, f"/uphold {complaint} ¥600")) == ["admin-complaint-done"]
    assert (await balances(db))[0][ledger.runner(row.runner_id)] == before + 600_00
