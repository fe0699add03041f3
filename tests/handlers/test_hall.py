"""The task hall: announcements, the grab race, exclusive offers, /nearby."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import event, update

from core.campus import DispatchMode, Gender
from core.order import Actor, Event, Notice, Role, transition
from handlers.context import Services
from handlers.hall import LOCATION_TAIL
from handlers.io import Choice
from handlers.notify import DETAILS_ENDED, Notifier
from handlers.orders import building_name
from handlers.sweep import sweep
from locales import catalogue
from storage.models import Order as OrderRow
from storage.models import RunnerProfile, User
from storage.orders_repo import to_domain
from storage.transitions import apply_transition
from storage.uow import UnitOfWork
from tests.factories import CIPHER
from tests.handlers.harness import Chat, keys
from tests.handlers.test_ordering import conversation, funded
from tests.handlers.test_runner import (
    PHONE,
    ROOM,
    act_notified,
    order_row,
    paid_order,
    person,
    runner,
    won_order,
)

EN, ZH = catalogue("en"), catalogue("zh_CN")
HALL = "hall:demo"


def private(messages: list[dict]) -> bool:
    """No phone or room in any of these messages."""
    return all(PHONE not in m["text"] and ROOM not in m["text"] for m in messages)


async def test_a_paid_order_is_announced_with_building_detail_only(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    order_id = await paid_order(services, alice)
    (post,) = await chat.inbox(HALL)
    assert (post["key"], post["edit_key"]) == ("hall-card", f"hall:{order_id}")
    assert post["text"].startswith(f"新跑腿 #{order_id}：代取快递\n菜鸟驿站 → 女生宿舍3号楼")  # the hall's language
    assert post["choices"] == [[{"label": "抢单", "data": f"g:{order_id}"}]]
    assert private([post])


async def test_two_runners_grab_at_once_and_exactly_one_wins(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    sam = await runner(db, campus, clock(), "sam")
    order_id = await paid_order(services, alice)
    await chat.inbox(HALL)
    await chat.inbox("alice")

    a, b = await asyncio.gather(chat.press("rob", f"data:g:{order_id}", chat=HALL),
                                chat.press("sam", f"data:g:{order_id}", chat=HALL))
    outcome = {"rob": keys(a), "sam": keys(b)}
    assert sorted(outcome.values()) == [["grab-taken"], ["grab-won"]]
    winner = "rob" if outcome["rob"] == ["grab-won"] else "sam"
    loser = "sam" if winner == "rob" else "rob"
    taken = a if loser == "rob" else b
    assert taken[0].text == EN("grab-taken")
    won = a if winner == "rob" else b
    # Pressed in the hall, answered in the winner's own chat: the details follow there.
    assert won[0].text == "\n".join([EN("grab-won"), EN("hall-won-details-private", order=str(order_id))])
    assert private([{"text": r.text} for r in a + b])

    row = await order_row(db, order_id)
    assert (row.status, row.runner_id) == ("accepted", rob if winner == "rob" else sam)

    hall = await chat.inbox(HALL)
    assert [(m["key"], m["edit_key"], m["choices"]) for m in hall] == [("notice-hall-taken", f"hall:{order_id}", [])]
    assert hall[0]["text"] == f"#{order_id} 菜鸟驿站 → 女生宿舍3号楼：已被抢。"
    (details,) = await chat.inbox(winner)
    assert details["key"] == "notice-you-won"
    assert f"Room: {ROOM}" in details["text"] and f"Phone: {PHONE}" in details["text"]
    assert details["text"].startswith(f"Order #{order_id} is yours now. Here are the details.")
    assert await chat.inbox(loser) == []
    assert [m["key"] for m in await chat.inbox("alice")] == ["notice-accepted"]
    assert private(hall)


async def test_the_grab_command_takes_the_same_path(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    await runner(db, campus, clock(), "sam")
    order_id = await paid_order(services, alice)
    assert keys(await chat.send("rob", "/grab")) == ["hall-grab-usage"]
    assert keys(await chat.send("rob", "/grab abc")) == ["error-order-number"]
    never = await chat.send("rob", "/grab 99999")  # not "no longer open": there never was one
    assert [(r.key, r.text) for r in never] == [("error-order-not-found", "There is no order #99999.")]
    replies = await chat.send("rob", f"/grab {order_id}")
    assert keys(replies) == ["grab-won"]
    assert replies[0].text.endswith(EN("hall-won-details-private", order=str(order_id)))
    assert keys(await chat.send("rob", f"/grab {order_id}")) == ["grab-already-yours"]
    assert keys(await chat.send("sam", f"/grab #{order_id}")) == ["grab-taken"]
    assert [m["key"] for m in await chat.inbox("rob")] == ["notice-you-won"]


async def test_who_is_no_runner_is_told_so_whatever_the_order(chat, services, db, campus, clock):
    """Whether an order is taken, gone or never was is a runner's to learn: a student typing /grab, or an applicant
    not approved yet, is told what stands in their way."""
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    stu = await person(db, campus, clock(), "stu")
    await runner(db, campus, clock(), "pat", approved=False)
    taken = await paid_order(services, alice)
    assert keys(await chat.send("rob", f"/grab {taken}")) == ["grab-won"]
    for order in (taken, 99999):
        replies = await chat.send("stu", f"/grab {order}")
        assert [r.text for r in replies] == ["\n".join([EN("not-eligible-not-runner"), EN("runner-apply-hint")])]
        assert keys(await chat.send("pat", f"/grab {order}")) == ["not-eligible-not-approved"]
    # The grab itself asks the same first (a press that reached it while the order was open).
    assert (await services.grabs.grab(taken, stu)).reason == "not-eligible-not-runner"
    assert (await services.grabs.grab(99999, stu)).reason == "not-eligible-not-runner"


async def test_a_press_on_an_order_that_went_is_answered_without_a_grab_attempt(chat, services, db, campus, clock,
                                                                                  monkeypatch):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    await runner(db, campus, clock(), "sam")
    order_id = await paid_order(services, alice)
    assert keys(await chat.send("rob", f"/grab {order_id}")) == ["grab-won"]
    attempts = []

    async def no_attempt(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("a grab attempt for an order that is no longer open")

    monkeypatch.setattr(services.grabs, "_attempt", no_attempt)
    assert keys(await chat.send("sam", f"/grab {order_id}")) == ["grab-taken"]
    assert keys(await chat.send("rob", f"/grab {order_id}")) == ["grab-already-yours"]
    assert keys(await chat.send("sam", "/grab 99999")) == ["error-order-not-found"]
    assert attempts == []


@pytest.mark.parametrize(("language", "delivered", "closed"), [
    ("en", "You delivered this order already: it is no longer open.", "This order is no longer open."),
    ("zh_CN", "这个订单你已经送达，不再开放抢单。", "这单已不再开放。"),
], ids=["en", "zh_CN"])
async def test_grabbing_an_order_one_has_delivered_says_it_is_no_longer_open(chat, services, db, campus, clock,
                                                                              language, delivered, closed):
    """"Yours already" is true of an order the runner still carries, not of one they delivered or that ended."""
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob", language=language)
    order_id = await paid_order(services, alice)
    assert keys(await chat.send("rob", f"/grab {order_id}")) == ["grab-won"]
    await act_notified(services, order_id, Event.pickup, Actor(Role.runner, rob))
    assert keys(await chat.send("rob", f"/grab {order_id}")) == ["grab-already-yours"]  # still carrying it
    await act_notified(services, order_id, Event.deliver, Actor(Role.runner, rob))

    for status in ("delivered", "completed"):
        if status == "completed":
            await act_notified(services, order_id, Event.confirm, Actor(Role.customer, alice))
        replies = await chat.send("rob", f"/grab {order_id}")
        assert [(r.key, r.text) for r in replies] == [("grab-delivered-by-you", delivered)]
    ended = await paid_order(services, alice)
    assert keys(await chat.send("rob", f"/grab {ended}")) == ["grab-won"]
    await act_notified(services, ended, Event.pickup, Actor(Role.runner, rob))
    await act_notified(services, ended, Event.report, Actor(Role.customer, alice))
    assert [(r.key, r.text) for r in await chat.send("rob", f"/grab {ended}")] == [("grab-gone", closed)]


async def test_who_may_not_grab_is_told_why(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "pat", approved=False)
    await runner(db, campus, clock(), "quinn", quiz=False)
    await person(db, campus, clock(), "stu")
    order_id = await paid_order(services, alice)
    await chat.inbox(HALL)

    replies = await chat.press("pat", f"data:g:{order_id}", chat=HALL)
    assert keys(replies) == ["not-eligible-not-approved"]
    assert replies[0].text == EN("not-eligible-not-approved")
    replies = await chat.press("quinn", f"data:g:{order_id}", chat=HALL)
    assert keys(replies) == ["not-eligible-quiz"]
    assert replies[0].text == "\n".join([EN("not-eligible-quiz"), EN("runner-quiz-hint")])
    replies = await chat.press("stu", f"data:g:{order_id}", chat=HALL)
    assert keys(replies) == ["not-eligible-not-runner"]
    assert "/apply" in replies[0].text
    replies = await chat.press("alice", f"data:g:{order_id}")
    assert keys(replies) == ["not-eligible-not-runner"]
    # Someone the bot never met (or who never opened a private chat with it) is asked to start it first.
    replies = await chat.press("stranger", f"data:g:{order_id}", chat=HALL)
    assert keys(replies) == ["runner-start-bot-first"]
    assert replies[0].text == ZH("runner-start-bot-first")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.external_id == "quinn").values(started_bot=False))
    assert keys(await chat.press("quinn", f"data:g:{order_id}", chat=HALL)) == ["runner-start-bot-first"]

    row = await order_row(db, order_id)
    assert (row.status, row.runner_id) == ("open", None)
    assert await chat.inbox(HALL) == []


async def test_cancelled_and_expired_orders_leave_the_hall(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    cancelled = await paid_order(services, alice)
    expiring = await paid_order(services, alice)
    await chat.inbox(HALL)
    await act_notified(services, cancelled, Event.cancel, Actor(Role.customer, alice))
    hall = await chat.inbox(HALL)
    assert [(m["key"], m["edit_key"], m["choices"]) for m in hall] == [("notice-hall-gone", f"hall:{cancelled}", [])]

    await sweep(services, clock.advance(minutes=campus.timeouts.accept_minutes + 1))
    hall = await chat.inbox(HALL)
    assert [(m["key"], m["edit_key"], m["choices"]) for m in hall] == [("notice-hall-gone", f"hall:{expiring}", [])]
    assert hall[0]["text"].endswith("：已失效。")


# --- offers ---------------------------------------------------------------------------------------------------------

async def test_a_named_runner_has_the_order_first_then_everyone(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")
    await runner(db, campus, clock(), "sam")
    order_id = await paid_order(services, alice, favourite=fay)
    until = clock() + dt.timedelta(seconds=campus.timeouts.offer_seconds)
    hhmm = until.astimezone(campus.tz).strftime("%H:%M")

    assert await chat.inbox(HALL) == []  # held for the named runner
    (offer,) = await chat.inbox("fay")
    assert offer["key"] == "hall-offer" and offer["edit_key"] == f"offer:{int(until.timestamp())}:{order_id}"
    assert offer["text"].startswith(f"Order #{order_id} is offered to you first, until {hhmm}. Take it?")
    assert [[c["data"] for c in row] for row in offer["choices"]] == [[f"g:{order_id}", f"offer:{order_id}:decline"]]
    assert private([offer])  # the details come with the win
    assert "hall-offer-customer" in [m["key"] for m in await chat.inbox("alice")]

    replies = await chat.press("sam", f"data:g:{order_id}", chat=HALL)
    assert keys(replies) == ["grab-offered"]
    assert replies[0].text == f"This order is offered to another runner first. Try again after {hhmm}."
    assert keys(await chat.send("sam", "/nearby")) == ["hall-nearby-none"]  # not in the hall yet

    clock.advance(seconds=campus.timeouts.offer_seconds + 1)
    replies = await chat.press("sam", f"data:g:{order_id}", chat=HALL)
    assert keys(replies) == ["grab-won"]
    assert (await order_row(db, order_id)).runner_id != fay
    assert await chat.inbox(HALL) == []  # the hall never saw it, so there is nothing to edit
    ended = await chat.inbox("fay")
    assert [(m["key"], m["edit_key"]) for m in ended] == [("hall-offer-ended", offer["edit_key"])]
    # The offer is over: the sweep has nothing left to do for it.
    report = await sweep(services, clock())
    assert report.offers_ended == 0 and await chat.inbox(HALL) == []


async def test_an_offer_is_said_to_end_at_the_next_whole_minute(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")
    await runner(db, campus, clock(), "sam")
    clock.advance(seconds=30)  # paid at 10:00:30: the offer runs to 10:01:30, said as 10:02 (10:01 has come by then)
    order_id = await paid_order(services, alice, favourite=fay)
    (offer,) = await chat.inbox("fay")
    assert offer["text"].startswith(f"Order #{order_id} is offered to you first, until 10:02. Take it?")
    (told,) = [m for m in await chat.inbox("alice") if m["key"] == "hall-offer-customer"]
    assert "if they don't take it by 10:02," in told["text"]

    clock.advance(seconds=40)  # 10:01:10, the offer still runs
    replies = await chat.press("sam", f"data:g:{order_id}", chat=HALL)
    assert replies[0].text == "This order is offered to another runner first. Try again after 10:02."
    clock.advance(minutes=1)  # 10:02:10: as told
    assert keys(await chat.press("sam", f"data:g:{order_id}", chat=HALL)) == ["grab-won"]


async def test_a_student_whose_named_runner_cannot_be_offered_the_order_is_told_it_went_to_the_hall(
        chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay", credit=campus.credit.thresholds.restricted - 1)  # carries one
    await runner(db, campus, clock(), "sam")
    await paid_order(services, alice, favourite=fay)  # offered to fay: her one place is now held
    assert "hall-favourite-passed-over" not in [m["key"] for m in await chat.inbox("alice")]

    order_id = await paid_order(services, alice, favourite=fay)  # fay has no room: straight to the hall
    assert (await order_row(db, order_id)).offer_runner_id is None
    (told,) = [m for m in await chat.inbox("alice") if m["key"] == "hall-favourite-passed-over"]
    assert told["text"] == (f"The runner you chose can't take order #{order_id} right now, "
                            "so it is in the task hall for every runner.")
    assert [m["edit_key"] for m in await chat.inbox(HALL)] == [f"hall:{order_id}"]


async def test_the_named_runner_accepts(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")
    order_id = await paid_order(services, alice, favourite=fay)
    (offered,) = await chat.inbox("fay")
    replies = await chat.press("fay", "Accept")
    assert keys(replies) == ["grab-won"]
    details, offer = await chat.inbox("fay")
    assert details["key"] == "notice-you-won" and PHONE in details["text"]
    # The offer's message says the order is hers, with no Accept or Decline left to press.
    assert (offer["key"], offer["edit_key"], offer["choices"]) == ("hall-offer-taken", offered["edit_key"], [])
    assert offer["text"] == EN("hall-offer-taken", order=str(order_id))
    row = await order_row(db, order_id)
    assert (row.runner_id, row.offer_runner_id, row.offer_until) == (fay, None, None)
    assert await chat.inbox(HALL) == []
    assert (await sweep(services, clock.advance(minutes=2))).offers_ended == 0
    assert await chat.inbox(HALL) == []


async def test_an_offer_taken_says_so_in_the_runners_language(chat, services, db, campus, clock):
    zhou = await runner(db, campus, clock(), "zhou", language="zh_CN")
    order_id = await paid_order(services, await person(db, campus, clock(), "alice"), favourite=zhou)
    await chat.inbox("zhou")
    assert keys(await chat.press("zhou", f"data:g:{order_id}")) == ["grab-won"]
    offer = (await chat.inbox("zhou"))[-1]
    assert (offer["text"], offer["choices"]) == (ZH("hall-offer-taken", order=str(order_id)), [])


async def test_an_offer_ended_elsewhere_as_it_was_accepted_leaves_no_grab_button_in_the_hall(
        chat, services, db, campus, clock):
    """The offered runner's accept read the order while the sweep (another process) ended the offer and posted the
    order to the hall: the hall post must go all the same."""
    fay = await runner(db, campus, clock(), "fay")
    order_id = await paid_order(services, await person(db, campus, clock(), "alice"), favourite=fay)
    await chat.inbox("fay")
    now = clock()
    async with UnitOfWork(db) as uow:
        row = await uow.orders.get_row(order_id)  # on offer, as the accept read it
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id)  # the sweep, meanwhile
                                  .values(offer_runner_id=None, offer_until=None)
                                  .execution_options(synchronize_session=False))
        t = transition(campus, to_domain(row), Event.accept, Actor(Role.runner, fay), now)
        await apply_transition(uow, campus, t, now)
        await Notifier(services, uow, now, origin="test-accept").transition(campus, t)
    hall = await chat.inbox(HALL)
    assert [(m["key"], m["edit_key"], m["choices"]) for m in hall] == [("notice-hall-taken", f"hall:{order_id}", [])]
    assert [m["key"] for m in await chat.inbox("fay")] == ["notice-you-won", "hall-offer-taken"]


async def test_a_declined_offer_goes_to_the_hall_at_once(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")
    await runner(db, campus, clock(), "sam")
    order_id = await paid_order(services, alice, favourite=fay)
    await chat.inbox("fay")
    replies = await chat.press("fay", "Decline")
    assert keys(replies) == ["hall-offer-declined"]
    (post,) = await chat.inbox(HALL)
    assert post["key"] == "hall-card" and post["choices"][0][0]["data"] == f"g:{order_id}"
    assert keys(await chat.press("fay", f"data:offer:{order_id}:decline")) == ["hall-offer-over"]
    assert keys(await chat.press("sam", f"data:g:{order_id}", chat=HALL)) == ["grab-won"]


async def test_an_offer_nobody_answers_goes_to_the_hall_with_the_sweep(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")
    order_id = await paid_order(services, alice, favourite=fay)
    await chat.inbox("fay")
    assert (await sweep(services, clock.advance(seconds=30))).offers_ended == 0
    report = await sweep(services, clock.advance(seconds=campus.timeouts.offer_seconds))
    assert report.offers_ended == 1
    (post,) = await chat.inbox(HALL)
    assert post["key"] == "hall-card" and post["choices"][0][0]["data"] == f"g:{order_id}"
    assert [m["key"] for m in await chat.inbox("fay")] == ["hall-offer-ended"]
    assert keys(await chat.press("fay", f"data:g:{order_id}")) == ["grab-won"]  # may still grab it, like anyone
    hall = await chat.inbox(HALL)
    assert [(m["key"], m["choices"]) for m in hall] == [("notice-hall-taken", [])]


async def test_an_ineligible_named_runner_is_skipped(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    pat = await runner(db, campus, clock(), "pat", quiz=False)
    order_id = await paid_order(services, alice, favourite=pat)
    assert await chat.inbox("pat") == []
    assert [m["key"] for m in await chat.inbox(HALL)] == ["hall-card"]
    assert (await order_row(db, order_id)).offer_runner_id is None


@pytest.mark.parametrize("mode", [DispatchMode.hall, DispatchMode.auto])
async def test_a_named_runner_not_of_the_chosen_gender_is_passed_over_in_words_that_do_not_say_why(
        db, campus, clock, mode):
    """The order form takes any runner's name whatever runner gender was chosen (a refusal would tell the student
    that runner's gender); the gender preference is part of who may take the order, so at payment a runner of the
    other gender is passed over as any named runner who cannot take it, and the student is told only that."""
    mode_campus = campus.model_copy(update={"dispatch": campus.dispatch.model_copy(update={"mode": mode})})
    services = Services(db=db, campuses={mode_campus.id: mode_campus}, cipher=CIPHER, clock=clock,
                        channels=("console",))
    chat = Chat(services)
    alice = await person(db, campus, clock(), "alice")
    max_ = await runner(db, campus, clock(), "max", gender=Gender.male, at="jd_station")
    fay = await runner(db, campus, clock(), "fay", gender=Gender.female, at="jd_station")
    order_id = await paid_order(services, alice, favourite=max_, gender_preference=Gender.female)
    assert await chat.inbox("max") == []
    (told,) = [m for m in await chat.inbox("alice") if m["key"] == "hall-favourite-passed-over"]
    if mode is DispatchMode.auto:
        assert (await order_row(db, order_id)).offer_runner_id == fay
        assert told["text"] == (f"The runner you chose can't take order #{order_id} right now, "
                                "so it is offered to another runner first.")
    else:
        assert (await order_row(db, order_id)).offer_runner_id is None
        assert told["text"] == (f"The runner you chose can't take order #{order_id} right now, "
                                "so it is in the task hall for every runner.")
        assert [m["edit_key"] for m in await chat.inbox(HALL)] == [f"hall:{order_id}"]
    if mode is DispatchMode.hall:  # nor may he grab it in the hall
        replies = await chat.press("max", f"data:g:{order_id}", chat=HALL)
        assert keys(replies) == ["not-eligible-gender-preference"]


def auto_dispatch(db, campus, clock) -> tuple[Services, Chat]:
    """The campus under auto-dispatch: each new order is offered to the best runner first."""
    auto = campus.model_copy(update={"dispatch": campus.dispatch.model_copy(update={"mode": DispatchMode.auto})})
    services = Services(db=db, campuses={auto.id: auto}, cipher=CIPHER, clock=clock, channels=("console",))
    return services, Chat(services)


async def test_under_auto_dispatch_a_student_is_told_their_named_runner_was_passed_over_in_their_language(
        db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice", language="zh_CN")
    fay = await runner(db, campus, clock(), "fay", credit=campus.credit.thresholds.restricted - 1)  # carries one
    near = await runner(db, campus, clock(), "near", at="jd_station")
    await paid_order(services, alice, favourite=fay)
    await chat.inbox("alice")
    order_id = await paid_order(services, alice, favourite=fay)
    assert (await order_row(db, order_id)).offer_runner_id == near
    (told,) = [m for m in await chat.inbox("alice") if m["key"] == "hall-favourite-passed-over"]
    assert told["text"] == f"你指定的跑腿员暂时无法接订单 #{order_id}，已改为优先派给其他跑腿员。"


async def test_auto_dispatch_offers_the_nearest_runner_first(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    alice = await person(db, auto, clock(), "alice")
    near = await runner(db, auto, clock(), "near", at="jd_station")  # next to the parcel station
    await runner(db, auto, clock(), "far", at="gym")
    await runner(db, auto, clock(), "nowhere")  # never shared a position
    order_id = await paid_order(services, alice)
    assert [m["key"] for m in await chat.inbox("near")] == ["hall-offer"]
    assert await chat.inbox("far") == [] and await chat.inbox("nowhere") == []
    assert await chat.inbox(HALL) == []
    assert "hall-offer-customer" not in [m["key"] for m in await chat.inbox("alice")]
    row = await order_row(db, order_id)
    assert (row.offer_runner_id, row.offer_until) == (near, clock() + dt.timedelta(seconds=auto.timeouts.offer_seconds))
    assert keys(await chat.press("far", f"data:g:{order_id}")) == ["grab-offered"]


async def test_auto_dispatch_places_a_busy_runner_by_a_position_only_while_it_is_fresh(db, campus, clock):
    # Before, a position tracked hours ago (the runner stopped sharing it) still put them next to the pickup.
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    alice = await person(db, auto, clock(), "alice")
    busy = await runner(db, auto, clock(), "busy")
    station = auto.building("parcel_station")
    async with UnitOfWork(db) as uow:  # where they were last seen carrying an order: at the parcel station
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == busy).values(
            last_lat=station.lat, last_lon=station.lon, last_seen_at=clock() - dt.timedelta(minutes=11)))
    stale = await paid_order(services, alice)
    assert (await order_row(db, stale)).offer_runner_id is None  # nobody known to be near: to the hall
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == busy).values(
            last_seen_at=clock() - dt.timedelta(minutes=9)))
    fresh = await paid_order(services, alice)
    assert (await order_row(db, fresh)).offer_runner_id == busy


async def test_under_auto_dispatch_a_released_order_is_offered_to_someone_else(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    alice = await person(db, auto, clock(), "alice")
    near = await runner(db, auto, clock(), "near", at="jd_station")
    far = await runner(db, auto, clock(), "far", at="gym")
    order_id = await paid_order(services, alice)
    assert (await order_row(db, order_id)).offer_runner_id == near  # the nearest first
    await chat.inbox("near")
    assert keys(await chat.press("near", f"data:g:{order_id}"))[0] == "grab-won"
    await chat.send("near", f"/release {order_id}")
    assert keys(await chat.press("near", "Yes, release it")) == ["runner-released"]
    assert [m["key"] for m in await chat.inbox("far")] == ["hall-offer"]  # the next best, not the one who gave it back
    assert "hall-offer" not in [m["key"] for m in await chat.inbox("near")]
    assert await chat.inbox(HALL) == []  # the hall sees it only if far declines or lets the offer lapse
    row = await order_row(db, order_id)
    assert (row.status, row.offer_runner_id) == ("open", far)
    assert keys(await chat.press("near", f"data:g:{order_id}")) == ["grab-offered"]
    assert keys(await chat.press("far", f"data:g:{order_id}"))[0] == "grab-won"


async def test_under_auto_dispatch_an_order_reassigned_then_given_back_skips_who_gave_it_back(db, campus, clock):
    # Before, the runner skipped was the last to accept it: the one the operator took it from, while the runner who
    # had just given it back (and lost credit for it) was offered it again.
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    alice, op = await person(db, auto, clock(), "alice"), await person(db, auto, clock(), "op")
    near = await runner(db, auto, clock(), "near", at="jd_station")
    far = await runner(db, auto, clock(), "far", at="gym")
    order_id = await paid_order(services, alice)
    assert keys(await chat.press("near", f"data:g:{order_id}"))[0] == "grab-won"
    async with UnitOfWork(db) as uow:
        t = transition(auto, to_domain(await uow.orders.get_row(order_id)), Event.reassign, Actor(Role.operator, op),
                       clock(), runner_id=far)
        await apply_transition(uow, auto, t, clock())
        await Notifier(services, uow, clock(), origin=f"test-reassign:{order_id}").transition(auto, t)
    for who in ("near", "far", HALL):
        await chat.inbox(who)
    await chat.send("far", f"/release {order_id}")
    assert keys(await chat.press("far", "Yes, release it")) == ["runner-released"]
    assert (await order_row(db, order_id)).offer_runner_id == near
    assert [m["key"] for m in await chat.inbox("near")] == ["hall-offer"]


async def test_auto_dispatch_offers_a_priority_runner_within_reach_before_a_nearer_one(db, campus, clock):
    # Before, the priority standing ("offered orders first") counted only as a few credit points of cost: the runner
    # next to the pickup had the order.
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    alice = await person(db, auto, clock(), "alice")
    near = await runner(db, auto, clock(), "near", at="jd_station")  # 144 m from the parcel station
    first = await runner(db, auto, clock(), "first", at="gym", credit=auto.credit.thresholds.priority)  # 763 m
    await runner(db, auto, clock(), "nowhere", credit=auto.credit.maximum)  # priority too, but never shared a position
    order_id = await paid_order(services, alice)
    assert (await order_row(db, order_id)).offer_runner_id == first
    assert [m["key"] for m in await chat.inbox("first")] == ["hall-offer"]
    assert await chat.inbox("near") == [] and await chat.inbox("nowhere") == []
    # Below the threshold it is the nearest again.
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == first).values(
            credit=auto.credit.thresholds.priority - 1))
    assert (await order_row(db, await paid_order(services, alice))).offer_runner_id == near


@pytest.mark.parametrize("passed", ["declined", "lapsed", "lapsed, taken before the sweep"])
async def test_under_auto_dispatch_a_runner_who_passed_on_an_order_is_not_offered_it_again(db, campus, clock, passed):
    # Before, once the order came back (another runner gave it back) it could be offered again to the runner who had
    # declined it or let its offer lapse: the nearest, here.
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    alice = await person(db, auto, clock(), "alice")
    near = await runner(db, auto, clock(), "near", at="jd_station")
    await runner(db, auto, clock(), "far", at="gym")
    next_best = await runner(db, auto, clock(), "next", at="hospital")
    order_id = await paid_order(services, alice)
    assert (await order_row(db, order_id)).offer_runner_id == near
    if passed == "declined":
        assert keys(await chat.press("near", f"data:offer:{order_id}:decline")) == ["hall-offer-declined"]
    else:
        clock.advance(seconds=auto.timeouts.offer_seconds + 1)
        if passed == "lapsed":
            assert (await sweep(services, clock())).offers_ended == 1
    assert keys(await chat.press("far", f"data:g:{order_id}"))[0] == "grab-won"  # from the hall, or by /grab
    await chat.inbox("near")
    await chat.send("far", f"/release {order_id}")
    assert keys(await chat.press("far", "Yes, release it")) == ["runner-released"]
    assert (await order_row(db, order_id)).offer_runner_id == next_best  # neither far, who gave it back, nor near
    assert [m["key"] for m in await chat.inbox("next")] == ["hall-offer"]
    assert "hall-offer" not in [m["key"] for m in await chat.inbox("near")]
    # Passed on by next too, it goes to the hall, where near may still grab it.
    assert keys(await chat.press("next", f"data:offer:{order_id}:decline")) == ["hall-offer-declined"]
    assert (await order_row(db, order_id)).offer_runner_id is None
    assert keys(await chat.press("near", f"data:g:{order_id}", chat=HALL))[0] == "grab-won"


async def test_under_auto_dispatch_a_named_runner_who_declined_is_not_offered_the_order_again(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    alice = await person(db, auto, clock(), "alice")
    fay = await runner(db, auto, clock(), "fay")  # named by the student: offered it wherever she is
    await runner(db, auto, clock(), "sam", at="gym")
    order_id = await paid_order(services, alice, favourite=fay)
    assert (await order_row(db, order_id)).offer_runner_id == fay
    assert keys(await chat.press("fay", f"data:offer:{order_id}:decline")) == ["hall-offer-declined"]
    assert keys(await chat.press("sam", f"data:g:{order_id}", chat=HALL))[0] == "grab-won"
    await chat.inbox("fay")
    await chat.send("sam", f"/release {order_id}")
    assert keys(await chat.press("sam", "Yes, release it")) == ["runner-released"]
    assert (await order_row(db, order_id)).offer_runner_id is None  # nobody else near: the hall
    assert "hall-offer" not in [m["key"] for m in await chat.inbox("fay")]
    assert "hall-card" in [m["key"] for m in await chat.inbox(HALL)]


async def test_under_auto_dispatch_a_runner_is_offered_no_more_orders_than_they_may_carry(db, campus, clock):
    # Before, each payment offered its order to the nearest runner whatever they already held on offer: the second
    # order waited out its offer on a runner whose Accept was refused, while nobody else could grab it.
    services, chat = auto_dispatch(db, campus, clock)
    auto = services.default_campus
    alice = await person(db, auto, clock(), "alice")
    near = await runner(db, auto, clock(), "near", at="jd_station",  # restricted: carries one order at a time
                        credit=auto.credit.thresholds.restricted - 1)
    far = await runner(db, auto, clock(), "far", at="gym")
    assert auto.runners.restricted_max_active_orders == 1
    first, second = await paid_order(services, alice), await paid_order(services, alice)
    assert [(await order_row(db, o)).offer_runner_id for o in (first, second)] == [near, far]
    assert keys(await chat.press("near", f"data:g:{first}"))[0] == "grab-won"
    assert keys(await chat.press("far", f"data:g:{second}"))[0] == "grab-won"


async def test_a_runner_who_grabs_up_to_their_limit_loses_the_offers_they_could_no_longer_accept(
        chat, services, db, campus, clock):
    # Before, the offered order waited out its offer (60 s) on a runner whose Accept was refused, and nobody else
    # could grab it meanwhile.
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay", credit=campus.credit.thresholds.restricted - 1)  # carries one
    await runner(db, campus, clock(), "sam")
    offered = await paid_order(services, alice, favourite=fay)
    in_hall = await paid_order(services, alice)
    (offer,) = await chat.inbox("fay")
    await chat.inbox(HALL)
    assert keys(await chat.press("fay", f"data:g:{in_hall}", chat=HALL)) == ["grab-won"]
    assert (await order_row(db, offered)).offer_runner_id is None
    ended = [m for m in await chat.inbox("fay") if m["key"] == "hall-offer-ended"]
    assert [(m["edit_key"], m["choices"]) for m in ended] == [(offer["edit_key"], [])]
    assert [m["key"] for m in await chat.inbox(HALL)] == ["notice-hall-taken", "hall-card"]
    assert keys(await chat.press("sam", f"data:g:{offered}", chat=HALL)) == ["grab-won"]


async def test_a_runner_with_room_for_some_of_their_offers_keeps_the_longest_waiting(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")  # carries three
    await won_order(chat, services, alice, "fay")
    older, newer = await paid_order(services, alice, favourite=fay), await paid_order(services, alice, favourite=fay)
    assert [(await order_row(db, o)).offer_runner_id for o in (older, newer)] == [fay, fay]
    in_hall = await paid_order(services, alice)
    assert keys(await chat.press("fay", f"data:g:{in_hall}", chat=HALL)) == ["grab-won"]  # now carries two
    assert [(await order_row(db, o)).offer_runner_id for o in (older, newer)] == [fay, None]
    assert keys(await chat.press("fay", f"data:g:{older}"))[0] == "grab-won"  # the offer she kept is still hers


# --- /nearby --------------------------------------------------------------------------------------------------------

async def test_nearby_lists_open_orders_nearest_first_with_grab_buttons(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    fay = await runner(db, campus, clock(), "fay")
    assert keys(await chat.send("rob", "/nearby")) == ["hall-nearby-none"]
    station = await paid_order(services, alice)  # picked up at the parcel station
    canteen = await paid_order(services, alice, pickup="canteen_2", dropoff="dorm_f2")
    await paid_order(services, alice, favourite=fay)  # on offer to fay: not for rob yet
    await paid_order(services, alice, pay_now=False)  # not paid: not in the hall

    replies = await chat.send("rob", "/nearby 二食堂")
    assert keys(replies) == ["hall-nearby-title", "hall-card", "hall-card"]
    assert replies[0].text == "2 open orders, nearest to Canteen 2 first:"
    assert [r.flat_choices()[0].data for r in replies[1:]] == [f"g:{canteen}", f"g:{station}"]
    assert [r.flat_choices()[0].label for r in replies[1:]] == ["Grab", "Grab"]
    assert replies[1].text.startswith(f"New errand #{canteen}: parcel pickup\nCanteen 2 → Women's Dorm 2")
    assert replies[1].text.endswith("\n0 m to the pickup")
    assert private([{"text": r.text} for r in replies])

    listed = await chat.send("rob", "/nearby")  # rob's position is unknown: newest first, and a way to share it
    assert keys(listed) == ["hall-nearby-title", "hall-card", "hall-card", "hall-nearby-share-hint"]
    assert listed[-1].request_location and not listed[-1].choices
    assert keys(await chat.send("rob", "/nearby atlantis")) == ["error-unknown-building"]
    (several,) = await chat.send("rob", "/nearby dorm")  # a name seven buildings share: a few of them, as the form
    assert several.text == ("\"dorm\" could be several places. Did you mean: Men's Dorm 1, Men's Dorm 2, "
                            "Men's Dorm 3, Women's Dorm 1, …? Type more of the name.")
    assert keys(await chat.send("alice", "/nearby")) == ["runner-not-a-runner"]
    offered = await chat.send("fay", "/nearby")
    assert len(offered) == 5  # fay sees the order offered to her as well (and the hint to share her location)

    grabbed = await chat.press("rob", f"data:{replies[1].flat_choices()[0].data}")
    assert keys(grabbed) == ["grab-won"]
    assert (await order_row(db, canteen)).status == "accepted"


async def test_nearby_lists_only_the_orders_the_runner_could_grab(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")  # a man
    await runner(db, campus, clock(), "fay", gender=Gender.female)
    anyone = await paid_order(services, alice)  # to Women's Dorm 3, handed over at its gate
    women_only = await paid_order(services, alice, gender_preference=Gender.female)
    to_the_door = await paid_order(services, alice, door_delivery=True)  # into Women's Dorm 3
    refused = {order_id: keys(await chat.press("rob", f"data:g:{order_id}")) for order_id in (women_only, to_the_door)}
    assert refused == {women_only: ["not-eligible-gender-preference"], to_the_door: ["not-eligible-dorm-gender"]}

    listed = await chat.send("rob", "/nearby 菜鸟驿站")
    assert listed[0].text == "1 open order, nearest to Parcel Station first:"
    assert [r.flat_choices()[0].data for r in listed[1:]] == [f"g:{anyone}"]
    assert [r.flat_choices()[0].data for r in (await chat.share_location("rob", *PARCEL_STATION))[1:]] == [
        f"g:{anyone}"]
    assert [r.flat_choices()[0].data for r in (await chat.send("fay", "/nearby 菜鸟驿站"))[1:]] == [
        f"g:{anyone}", f"g:{women_only}", f"g:{to_the_door}"]


async def test_the_hall_card_says_when_only_runners_of_one_gender_may_take_the_order(chat, services, db, campus,
                                                                                    clock):
    # Before, nothing in the hall said so: a man pressed Grab on a women-only errand only to be refused.
    alice = await person(db, campus, clock(), "alice")
    anyone = await paid_order(services, alice)  # to Women's Dorm 3, handed over at its gate
    women_only = await paid_order(services, alice, gender_preference=Gender.female)
    to_the_door = await paid_order(services, alice, door_delivery=True)  # into Women's Dorm 3
    posts = [m["text"] for m in await chat.inbox(HALL) if m["key"] == "hall-card"]  # in the campus's language
    only = catalogue(campus.language)("order-summary-gender", gender="female")
    assert only == {"en": "Runner: female only", "zh_CN": "跑腿员：仅限女生"}[campus.language]
    said = {order_id: only in next(p for p in posts if f"#{order_id}" in p.splitlines()[0])
            for order_id in (anyone, women_only, to_the_door)}
    assert said == {anyone: False, women_only: True, to_the_door: True}


async def test_nearby_answers_a_runner_who_may_take_no_order_as_the_grab_button_does(chat, services, db, campus,
                                                                                   clock):
    order_id = await paid_order(services, await person(db, campus, clock(), "alice"))
    await runner(db, campus, clock(), "pat", approved=False)
    await runner(db, campus, clock(), "quinn", quiz=False)
    await runner(db, campus, clock(), "low", credit=campus.credit.grab_floor - 1)
    await runner(db, campus, clock(), "zhou", approved=False, language="zh_CN")
    for who, reason in (("pat", "not-eligible-not-approved"), ("quinn", "not-eligible-quiz"),
                        ("low", "not-eligible-credit"), ("zhou", "not-eligible-not-approved")):
        grab = await chat.press(who, f"data:g:{order_id}")
        for listing in (await chat.send(who, "/nearby"), await chat.send(who, "/nearby Library")):
            assert keys(listing) == keys(grab) == [reason]
            assert listing[0].text == grab[0].text
    assert (await chat.send("zhou", "/nearby"))[0].text == ZH("not-eligible-not-approved")
    assert (await chat.send("quinn", "/nearby"))[0].text == "\n".join([EN("not-eligible-quiz"), EN("runner-quiz-hint")])
    # Sharing a location: an approved runner who may take nothing is told why, anyone else what a location is for.
    assert keys(await chat.share_location("quinn", *PARCEL_STATION)) == ["not-eligible-quiz"]
    assert keys(await chat.share_location("pat", *PARCEL_STATION)) == ["location-not-asked", "menu-title"]


async def test_a_grab_from_a_nearby_list_offering_the_location_button_takes_it_away(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    await runner(db, campus, clock(), "sam")
    first, second = await paid_order(services, alice), await paid_order(services, alice)
    listed = await chat.send("rob", "/nearby")  # rob's position is unknown: the list offers to share it
    assert listed[-1].request_location
    grabs = {c.data.split(":")[1]: c.data for r in listed for c in r.flat_choices()}
    assert keys(await chat.press("sam", f"data:g:{first}", chat=HALL)) == ["grab-won"]

    refused = await chat.press("rob", f"data:{grabs[str(first)]}")  # too late, and the button goes all the same
    assert keys(refused) == ["grab-taken"] and refused[0].location_done
    won = await chat.press("rob", f"data:{grabs[str(second)]}")
    assert keys(won) == ["grab-won"] and not won[0].location_done  # gone already
    assert not any(r.location_done for r in await chat.send("rob", "/help"))


async def test_a_win_in_the_hall_takes_away_the_location_button_a_nearby_list_left_up(
        chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    await runner(db, campus, clock(), "sam")
    first, second, third = [await paid_order(services, alice) for _ in range(3)]
    assert (await chat.send("rob", "/nearby"))[-1].request_location  # rob's private chat shows the button
    assert keys(await chat.press("sam", f"data:g:{first}", chat=HALL)) == ["grab-won"]

    lost = await chat.press("rob", f"data:g:{first}", chat=HALL)  # pressed in the hall, not on the list
    assert keys(lost) == ["grab-taken"] and not lost[0].location_done  # a lost press changes nothing
    won = await chat.press("rob", f"data:g:{second}", chat=HALL)
    assert keys(won) == ["grab-won"] and won[0].location_done  # the winner's private answer takes it away
    assert not any(r.location_done for r in await chat.send("rob", "/help"))  # gone already

    assert (await chat.send("rob", "/nearby"))[-1].request_location  # up again: /grab N wins it the same way
    (by_command,) = await chat.send("rob", f"/grab {third}")
    assert by_command.key == "grab-won" and by_command.location_done


async def test_a_win_answered_in_the_operators_chat_leaves_the_location_button_to_the_private_chat(
        chat, services, db, campus, clock):
    await runner(db, campus, clock(), "admin")  # the campus operator (campus/demo.yaml), a runner too
    order_id = await paid_order(services, await person(db, campus, clock(), "alice"))
    assert (await chat.send("admin", "/nearby"))[-1].request_location
    (won,) = await chat.send("admin", f"/grab {order_id}", chat="admin")  # answered in the operators' chat
    assert won.key == "grab-won" and not won.location_done
    assert any(r.location_done for r in await chat.send("admin", "/help"))  # the next private answer takes it away


async def test_grab_typed_in_the_operators_chat_by_someone_else_is_for_their_private_chat(
        chat, services, db, campus, clock):
    """/grab N becomes a press of the order's Grab button, which a group may make; typed in the operators' chat by
    someone who is no operator of it, it is refused as their other commands there are, and takes nothing (before: it
    won the order there, saying the full details follow)."""
    await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, await person(db, campus, clock(), "alice"))
    refused = catalogue(campus.language)("error-private-only")  # the operators' chat speaks the campus's language
    replies = await chat.send("rob", f"/grab {order_id}", chat="admin")
    assert [(r.key, r.text) for r in replies] == [("error-private-only", refused)]
    assert (await order_row(db, order_id)).status == "open" and await chat.inbox("admin") == []
    assert keys(await chat.send("rob", f"/grab {order_id}", chat="admin")) == ["error-private-only"]  # every time
    assert keys(await chat.send("rob", f"/grab {order_id}")) == ["grab-won"]  # privately, as ever


async def test_a_refused_grab_from_a_nearby_list_leaves_its_location_button_to_the_next_answer(
        chat, services, db, campus, clock):
    await runner(db, campus, clock(), "rob")
    await paid_order(services, await person(db, campus, clock(), "alice"))
    assert (await chat.send("rob", "/nearby"))[-1].request_location

    refused = await chat.press("rob", f"data:g:{LOCATION_TAIL}")  # no order in it: refused, nothing changes
    assert keys(refused) == ["hall-grab-usage"] and not refused[0].location_done
    assert any(r.location_done for r in await chat.send("rob", "/help"))  # the button still goes


CANTEEN_2 = (30.26352, 120.11652)  # a few metres from Canteen 2
PARCEL_STATION = (30.25952, 120.11902)  # a few metres from the parcel station


async def test_a_runner_sharing_a_location_gets_the_orders_nearest_to_it(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    station = await paid_order(services, alice)  # picked up at the parcel station
    canteen = await paid_order(services, alice, pickup="canteen_2", dropoff="dorm_f2")

    replies = await chat.share_location("rob", *CANTEEN_2)
    assert keys(replies) == ["hall-nearby-title", "hall-card", "hall-card"]
    assert replies[0].text == "2 open orders, nearest to you first:"
    assert [r.flat_choices() for r in replies[1:]] == [[Choice("Grab", f"g:{canteen}")],
                                                         [Choice("Grab", f"g:{station}")]]
    near, far = (int(r.text.rsplit("\n", 1)[1].split()[0]) for r in replies[1:])
    assert replies[1].text.endswith("\n4 m to the pickup") and near < far
    assert private([{"text": r.text} for r in replies])

    at_station = await chat.share_location("rob", *PARCEL_STATION)  # the same orders, from the other end
    assert [r.flat_choices()[0].data for r in at_station[1:]] == [f"g:{station}", f"g:{canteen}"]

    async with UnitOfWork(db, write=False) as uow:  # a one-off location is used, never kept
        p = await uow.session.get(RunnerProfile, rob)
        assert (p.last_lat, p.last_lon, p.last_seen_at) == (None, None, None)
    assert (await conversation(services, "rob"))[0] == "idle"
    assert keys(await chat.press("rob", "data:" + replies[1].flat_choices()[0].data)) == ["grab-won"]
    assert (await order_row(db, canteen)).runner_id == rob


async def test_a_runner_ordering_an_errand_shares_a_location_for_the_step(chat, services, db, campus, clock):
    await runner(db, campus, clock(), "rob")
    await paid_order(services, await person(db, campus, clock(), "alice"))
    await funded(chat, services, "rob", 0)
    await chat.send("rob", "/order")
    await chat.send("rob", "Parcel pickup")
    replies = await chat.share_location("rob", *PARCEL_STATION)  # the pickup: not /nearby
    assert keys(replies) == ["order-ask-dropoff"] and replies[0].request_location
    state, data = await conversation(services, "rob")
    assert (state, data["pickup"]) == ("order.dropoff", "parcel_station")


@pytest.mark.parametrize(("language", "told"), [
    ("en", "Nothing here is asking for a location right now, so yours was not kept. A location you share is used "
           "when the order form asks for a place (send /order to order an errand), and a runner's live location "
           "while they carry an order, so that the student can see where it is."),
    ("zh_CN", "现在没有需要位置的地方，所以你的位置没有被保存。下单时，表单询问地点时可以用共享的位置作答（发送 /order 下单）；"
              "跑腿员配送订单时，会使用其实时位置，让下单同学看到他在哪里。"),
], ids=["en", "zh_CN"])
async def test_anyone_but_an_approved_runner_sharing_a_location_is_told_what_a_location_is_for(
        chat, services, db, campus, clock, language, told):
    alice = await person(db, campus, clock(), "alice", language=language)
    await runner(db, campus, clock(), "pat", approved=False, language=language)  # applied, not approved yet
    await paid_order(services, alice)
    for who in ("alice", "pat"):
        replies = await chat.share_location(who, *PARCEL_STATION)
        assert keys(replies) == ["location-not-asked", "menu-title"]  # understood, not "I did not understand that"
        assert replies[0].text == told
        assert replies[1].text == (await chat.send(who, "hello"))[1].text  # and the menu, as for any text


async def test_a_location_far_off_campus_gets_a_clear_answer(chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    await runner(db, campus, clock(), "zhou", gender=Gender.female, language="zh_CN")
    await paid_order(services, alice)

    replies = await chat.share_location("rob", 30.30, 120.12)  # about 4 km north of the North Gate
    assert keys(replies) == ["hall-nearby-off-campus"]
    assert replies[0].text == EN("hall-nearby-off-campus", campus="Demo University")
    assert (await chat.share_location("zhou", 0.0, 0.0))[0].text == ZH("hall-nearby-off-campus", campus="示范大学")
    between = await chat.share_location("rob", 30.2575, 120.1225)  # on campus, 147 m from the nearest building
    assert keys(between) == ["hall-nearby-title", "hall-card"]


async def test_a_repeated_grab_update_is_handled_once(chat, services, db, campus, clock):
    """The grab runs in its own transaction, outside the per-input one; its repeat check must hold all the same."""
    from handlers.io import Input, Kind

    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, alice)
    press = Input("console", "rob", Kind.choice, choice=f"g:{order_id}", update_id="9001", chat=HALL)
    first = await chat.app.handle(press)
    again = await chat.app.handle(press)
    assert keys(first) == ["grab-won"] and again == []


async def test_a_runner_who_may_not_enter_the_dorm_is_told_where_to_hand_over(chat, services, db, campus, clock,
                                                                              monkeypatch):
    from handlers import hall

    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")  # a man
    await runner(db, campus, clock(), "fay", gender=Gender.female)
    zhou = await runner(db, campus, clock(), "zhou", language="zh_CN")  # a man too
    won_by = {}
    for who in ("rob", "fay"):
        order_id = await paid_order(services, alice)  # to Women's Dorm 3
        assert keys(await chat.press(who, f"data:g:{order_id}")) == ["grab-won"]
        (won_by[who],) = await chat.inbox(who)
    dorm = campus.building((await order_row(db, order_id)).dropoff_building)
    gate = building_name(campus, dorm.transfer_point, "en")
    assert EN("hall-handover", place=gate) in won_by["rob"]["text"]
    assert "hand over" not in won_by["fay"]["text"]

    # The runner's language and gender are one read (they were two).
    reads = []
    real = hall.run_core

    async def counted(session, statement, params=None):
        reads.append(statement)
        return await real(session, statement, params)

    order_id = await paid_order(services, alice)
    monkeypatch.setattr(hall, "run_core", counted)
    async with UnitOfWork(db) as uow:
        row = await uow.orders.get_row(order_id)
        await hall.show_details(Notifier(services, uow, clock(), origin="test"), campus, row, zhou)
    assert len(reads) == 1
    (details,) = await chat.inbox("zhou")
    assert ZH("hall-handover", place=building_name(campus, dorm.transfer_point, "zh_CN")) in details["text"]


async def test_a_runner_whose_part_ended_has_their_details_edited_in_their_language(chat, services, db, campus,
                                                                                    clock):
    from handlers import hall

    alice = await person(db, campus, clock(), "alice")
    zhou = await runner(db, campus, clock(), "zhou", gender=Gender.female, language="zh_CN")
    order_id = await paid_order(services, alice)
    assert keys(await chat.press("zhou", f"data:g:{order_id}")) == ["grab-won"]
    (won,) = await chat.inbox("zhou")
    accepted_at = (await order_row(db, order_id)).accepted_at
    statements: list[str] = []
    engine = getattr(db.engine, "sync_engine", db.engine)

    def note(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        statements.append(statement)

    async with UnitOfWork(db) as uow:
        row = await uow.orders.get_row(order_id)
        notice = Notice("runner", DETAILS_ENDED, {"accepted_at": accepted_at}, user_id=zhou)
        event.listen(engine, "before_cursor_execute", note)
        try:
            await hall.NOTICE_RENDERERS[DETAILS_ENDED](Notifier(services, uow, clock(), origin="test"), campus,
                                                       row, notice)
        finally:
            event.remove(engine, "before_cursor_execute", note)
    # Only the columns it needs were read, not the whole user (their name, their phone...).
    assert not [s for s in statements if "users.display_name" in s], statements
    (ended,) = await chat.inbox("zhou")
    assert ended["edit_key"] == won["edit_key"]
    assert ended["text"].startswith(ZH("notice-details-ended", order=str(order_id)))
