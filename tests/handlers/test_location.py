"""A live location's first position: kept (and said so) only for a runner carrying an order; anyone else's is
answered as a one-off location would be. An idle runner's live location makes them available to dispatch, for a
short while after each position and never past its end."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from core.campus import Gender
from core.order import Actor, Event, Role
from handlers.io import Input, Kind
from handlers.location import AVAILABLE_FOR, live_position
from handlers.sweep import sweep
from locales import catalogue
from storage.models import Order as OrderRow
from storage.models import User
from storage.uow import UnitOfWork
from tests.conftest import FakeClock
from tests.handlers.harness import keys
from tests.handlers.test_hall import CANTEEN_2, HALL, PARCEL_STATION, auto_dispatch
from tests.handlers.test_runner import act_notified, order_row, paid_order, person, profile_of, runner

EN, ZH = catalogue("en"), catalogue("zh_CN")
LIVE_UNTIL = FakeClock()() + dt.timedelta(hours=8)  # a live location shared for 8 hours from the tests' start


async def live(chat, who: str, lat: float, lon: float, *, first: bool = True, update_id: str | None = None,
               until: dt.datetime | None = LIVE_UNTIL):
    """A position of a live location shared until `until`; None: the last one, its sender stopped sharing."""
    inp = Input(chat.channel, who, Kind.location, lat=lat, lon=lon, name=who, update_id=update_id, live_until=until)
    return await live_position(chat.services, inp, first=first, plain=chat.app.handle)


async def last_lat(db, user_id: int) -> float | None:
    async with UnitOfWork(db, write=False) as uow:
        profile = await uow.runners.get(user_id)
    assert profile is not None
    return profile.last_lat


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_students_live_location_when_nothing_asks_for_one_is_told_what_locations_are_for(
        chat, services, db, campus, clock, language):
    await person(db, campus, clock(), "alice", language=language)
    replies = await live(chat, "alice", *PARCEL_STATION)
    assert keys(replies) == keys(await chat.share_location("alice", *PARCEL_STATION)) == [
        "location-not-asked", "menu-title"]
    assert replies[0].text == {
        "en": "Nothing here is asking for a location right now, so yours was not kept; you can stop sharing it. "
              "A location you share is used when the order form asks for a place (send /order to order an errand), "
              "and a runner's live location while they carry an order, so that the student can see where it is.",
        "zh_CN": "现在没有需要位置的地方，所以你的位置没有被保存，你可以停止共享。下单时，表单询问地点时可以用共享的位置作答（发送 /order "
                 "下单）；跑腿员配送订单时，会使用其实时位置，让下单同学看到他在哪里。"}[language]


async def test_an_idle_runner_gets_nearby_and_is_told_the_position_is_kept_once_they_carry_an_order(
        chat, services, db, campus, clock):
    rob = await runner(db, campus, clock(), "rob")
    await paid_order(services, await person(db, campus, clock(), "alice"))
    one_off = keys(await chat.share_location("rob", *PARCEL_STATION))
    assert one_off[0] == "hall-nearby-title"
    replies = await live(chat, "rob", *PARCEL_STATION, update_id="7")
    assert keys(replies) == ["live-not-kept", *one_off]
    assert await live(chat, "rob", *PARCEL_STATION, update_id="7") == []  # a repeat: no answer, no second note
    assert await last_lat(db, rob) is None


async def test_a_runner_ordering_an_errand_answers_the_place_step_as_a_student_does(chat, services, db, campus, clock):
    rob = await runner(db, campus, clock(), "rob")  # no order to carry: the position is not kept
    await chat.send("rob", "/order")
    assert keys(await chat.send("rob", "Parcel pickup")) == ["order-ask-pickup"]
    replies = await live(chat, "rob", *PARCEL_STATION)
    assert keys(replies) == ["order-ask-dropoff"]  # the pickup answered, and no word on keeping the position
    assert await last_lat(db, rob) is None
    assert (await profile_of(db, rob)).available_until is None  # nor is he available: he is ordering


async def test_a_live_location_that_answered_a_runners_own_order_form_never_makes_them_available(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    await chat.send("rob", "/order")
    await chat.send("rob", "Parcel pickup")
    assert keys(await live(chat, "rob", *PARCEL_STATION)) == ["order-ask-dropoff"]
    assert await live(chat, "rob", *CANTEEN_2, first=False) == []  # walking on: no word on being free
    assert (await profile_of(db, rob)).available_until is None
    assert (await offered_to(chat, services, alice))[1] is None  # nobody to offer it to: the hall has it
    # Another live location, shared once he is done ordering, is him saying he is free.
    await chat.send("rob", "/menu")
    replies = await live(chat, "rob", *PARCEL_STATION, until=LIVE_UNTIL + dt.timedelta(minutes=1))
    assert keys(replies)[0] == "live-not-kept"
    assert (await profile_of(db, rob)).available_lat == PARCEL_STATION[0]


async def test_a_runner_carrying_an_order_is_kept_and_told_so(chat, services, db, campus, clock):
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, await person(db, campus, clock(), "alice"))
    await act_notified(services, order_id, Event.accept, Actor(Role.runner, rob))
    replies = await live(chat, "rob", *PARCEL_STATION)
    assert keys(replies) == ["live-kept"] and replies[0].args == {"orders": f"#{order_id}"}
    assert await last_lat(db, rob) == PARCEL_STATION[0]
    assert await live(chat, "rob", 30.2600, 120.1190, first=False) == []  # later positions: silent
    assert await last_lat(db, rob) == 30.2600


async def test_a_runner_carrying_an_order_answers_their_own_order_forms_place_step_with_a_live_location(
        chat, services, db, campus, clock):
    # Before, the form's question went unanswered: the position was only kept for the order he carries.
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, await person(db, campus, clock(), "alice"))
    await act_notified(services, order_id, Event.accept, Actor(Role.runner, rob))
    await chat.send("rob", "/order")
    await chat.send("rob", "Parcel pickup")
    replies = await live(chat, "rob", *PARCEL_STATION, update_id="u-77")
    assert keys(replies) == ["live-kept", "order-ask-dropoff"]
    assert await last_lat(db, rob) == PARCEL_STATION[0]  # and still kept for the student who waits
    assert await live(chat, "rob", *PARCEL_STATION, update_id="u-77") == []  # the same update again: nothing


# --- an idle runner's live location: available to dispatch ---------------------------------------------------------

async def offered_to(chat, services, customer: int) -> tuple[int, int | None]:
    """A new paid order and the runner auto-dispatch offered it to (None: it went to the hall)."""
    order_id = await paid_order(services, customer)
    await chat.inbox(HALL)
    return order_id, (await order_row(services.db, order_id)).offer_runner_id


async def test_an_idle_runner_sharing_a_live_location_is_offered_orders_near_it(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")  # idle, his position unknown
    busy = await runner(db, campus, clock(), "busy")
    carried = await paid_order(services, alice)
    await act_notified(services, carried, Event.accept, Actor(Role.runner, busy))
    assert keys(await live(chat, "busy", *PARCEL_STATION)) == ["live-kept"]  # tracked: he carries an order

    replies = await live(chat, "rob", *PARCEL_STATION)  # at the parcel station, free
    assert keys(replies)[:2] == ["live-not-kept", "hall-nearby-none"]
    assert replies[0].text == EN("live-not-kept", offers="yes")
    assert "offered orders near you" in replies[0].text
    order_id, offered = await offered_to(chat, services, alice)
    assert offered == rob  # the free runner at the pickup, not the one busy with an order
    assert [m["key"] for m in await chat.inbox("rob")] == ["hall-offer"]

    # Dispatch's alone: no student sees it, and it is not the position tracked once he carries an order.
    profile = await profile_of(db, rob)
    assert (profile.last_lat, profile.last_lon, profile.last_seen_at) == (None, None, None)
    assert keys(await chat.press("rob", "Accept")) == ["grab-won"]
    assert keys(await chat.send("alice", f"/where {order_id}")) == ["where-unknown"]
    assert keys(await live(chat, "rob", *CANTEEN_2, first=False)) == ["live-kept"]  # tracked from now on
    profile = await profile_of(db, rob)
    assert (profile.last_lat, profile.available_until) == (CANTEEN_2[0], None)
    assert keys(await chat.send("alice", f"/where {order_id}")) == ["where-near"]


async def test_a_runner_is_told_in_their_language_and_the_campus_mode(chat, services, db, campus, clock):
    """Under the task hall (no auto-dispatch) nobody is offered orders by position: the note says only /nearby."""
    await runner(db, campus, clock(), "zhou", gender=Gender.female, language="zh_CN")
    (note, *_) = await live(chat, "zhou", *PARCEL_STATION)
    assert note.text == ZH("live-not-kept", offers="no")
    assert "派单" not in note.text and "/nearby" in note.text
    _, auto_chat = auto_dispatch(db, campus, clock)
    await runner(db, campus, clock(), "wang", language="zh_CN")
    (note, *_) = await live(auto_chat, "wang", *PARCEL_STATION)
    assert note.text == ZH("live-not-kept", offers="yes") and "派单" in note.text


async def test_the_availability_lapses_without_positions_and_comes_back_with_them(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    assert keys(await live(chat, "rob", *PARCEL_STATION))[0] == "live-not-kept"
    clock.advance(seconds=AVAILABLE_FOR.total_seconds() - 1)
    assert await live(chat, "rob", *PARCEL_STATION, first=False) == []  # still here: silent, and kept on

    clock.advance(seconds=AVAILABLE_FOR.total_seconds())  # nothing from his phone since: where is he?
    assert (await offered_to(chat, services, alice))[1] is None
    assert (await sweep(services, clock())).positions_forgotten == 1
    profile = await profile_of(db, rob)
    assert (profile.available_lat, profile.available_lon, profile.available_until) == (None, None, None)

    assert await live(chat, "rob", *PARCEL_STATION, first=False) == []  # the same live location: no second note
    assert (await offered_to(chat, services, alice))[1] == rob


async def test_the_availability_ends_with_the_live_location(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice")
    await runner(db, campus, clock(), "rob")
    sam = await runner(db, campus, clock(), "sam")
    await live(chat, "rob", *PARCEL_STATION, until=clock() + dt.timedelta(minutes=3))  # shared for 3 minutes
    clock.advance(minutes=3)
    assert (await offered_to(chat, services, alice))[1] is None

    await live(chat, "sam", *PARCEL_STATION)
    assert await live(chat, "sam", *PARCEL_STATION, first=False, until=None) == []  # he stops sharing
    assert (await profile_of(db, sam)).available_until is None
    assert (await offered_to(chat, services, alice))[1] is None


async def test_a_runner_who_stops_sharing_loses_the_offers_made_for_being_near(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    await runner(db, campus, clock(), "sam")
    await live(chat, "rob", *PARCEL_STATION)
    near, offered = await offered_to(chat, services, alice)
    assert offered == rob
    named = await paid_order(services, alice, favourite=rob)  # alice asks for him by name
    assert (await order_row(db, named)).offer_runner_id == rob
    offers = {m["edit_key"]: m for m in await chat.inbox("rob")}

    assert await live(chat, "rob", *PARCEL_STATION, first=False, until=None) == []  # he stops sharing
    assert (await order_row(db, near)).offer_runner_id is None
    assert [(m["key"], m["edit_key"]) for m in await chat.inbox(HALL)] == [("hall-card", f"hall:{near}")]
    (ended,) = await chat.inbox("rob")
    assert ended["key"] == "hall-offer-ended" and offers[ended["edit_key"]]["key"] == "hall-offer"
    assert f"#{near} " in ended["text"]
    assert (await order_row(db, named)).offer_runner_id == rob  # still his: alice chose him, not his position
    assert keys(await chat.press("sam", f"data:g:{near}", chat=HALL)) == ["grab-won"]


async def test_a_runner_whose_offer_lapsed_as_they_stopped_sharing_is_not_offered_the_order_again(db, campus, clock):
    # The offer ran out and ended as he stopped sharing, before the sweep came to it: he let it lapse all the same.
    # Before, sharing again, he was offered it once more when it came back.
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    await runner(db, campus, clock(), "sam")
    await live(chat, "rob", *PARCEL_STATION)
    order_id, offered = await offered_to(chat, services, alice)
    assert offered == rob
    clock.advance(seconds=campus.timeouts.offer_seconds + 1)
    assert await live(chat, "rob", *PARCEL_STATION, first=False, until=None) == []  # he stops sharing
    assert keys(await chat.press("sam", f"data:g:{order_id}", chat=HALL)) == ["grab-won"]
    assert keys(await live(chat, "rob", *PARCEL_STATION, until=clock() + dt.timedelta(hours=1)))[0] == "live-not-kept"
    await chat.inbox("rob")
    await chat.send("sam", f"/release {order_id}")
    assert keys(await chat.press("sam", "Yes, release it")) == ["runner-released"]
    assert (await order_row(db, order_id)).offer_runner_id is None  # to the hall: sam gave it back, rob let it lapse
    assert "hall-offer" not in [m["key"] for m in await chat.inbox("rob")]
    assert (await offered_to(chat, services, alice))[1] == rob  # a new order is his to be offered


async def test_a_runner_sharing_on_after_their_order_ends_is_told_once_they_are_available(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, alice)
    await act_notified(services, order_id, Event.accept, Actor(Role.runner, rob))
    assert keys(await live(chat, "rob", *PARCEL_STATION)) == ["live-kept"]
    await act_notified(services, order_id, Event.release, Actor(Role.runner, rob))

    replies = await live(chat, "rob", *PARCEL_STATION, first=False)  # he shares on, free again
    assert keys(replies) == ["live-not-kept"]
    assert await live(chat, "rob", *CANTEEN_2, first=False) == []
    profile = await profile_of(db, rob)
    assert (profile.last_lat, profile.available_lat) == (None, CANTEEN_2[0])


async def test_only_an_active_runner_is_available(db, campus, clock):
    services, chat = auto_dispatch(db, campus, clock)
    alice = await person(db, campus, clock(), "alice")
    pat = await runner(db, campus, clock(), "pat", approved=False)
    sue = await runner(db, campus, clock(), "sue")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(User).where(User.id == sue).values(suspended=True))
    for who in ("pat", "sue"):
        assert "live-not-kept" not in keys(await live(chat, who, *PARCEL_STATION))
    assert [(await profile_of(db, r)).available_until for r in (pat, sue)] == [None, None]
    assert (await offered_to(chat, services, alice))[1] is None


async def test_a_runner_whose_position_is_unknown_is_no_distance_candidate(services, db, campus, clock):
    """Never a made-up point (0, 0): dispatch prices no distance from an unknown position."""
    rob = await runner(db, campus, clock(), "rob")
    async with UnitOfWork(db, write=False) as uow:
        (candidate,) = await uow.runners.candidates(campus.id, clock())
    assert (candidate.user_id, candidate.lat, candidate.lon) == (rob, None, None)


# --- the order card's "Where is my runner?" ------------------------------------------------------------------------

async def test_the_students_order_card_asks_where_the_runner_is_while_the_order_is_on_its_way(
        chat, services, db, campus, clock):
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, alice)
    (card,) = await chat.send("alice", f"/track {order_id}")
    assert "Where is my runner?" not in str(card.choices)  # open: nobody is on the way

    await act_notified(services, order_id, Event.accept, Actor(Role.runner, rob))
    (card,) = await chat.send("alice", f"/track {order_id}")
    assert "Where is my runner?" in str(card.choices)
    assert keys(await chat.press("alice", "Where is my runner?")) == ["where-unknown"]
    await live(chat, "rob", *CANTEEN_2)
    (near,) = await chat.press("alice", f"data:o:{order_id}:where")
    assert near.key == "where-near" and near.args["order"] == order_id
    # Someone else's order: refused, nothing told.
    await person(db, campus, clock(), "mallory")
    (refused,) = await chat.press("mallory", f"data:o:{order_id}:where")
    assert refused.key == "error-not-your-order"

    await act_notified(services, order_id, Event.pickup, Actor(Role.runner, rob))
    await act_notified(services, order_id, Event.deliver, Actor(Role.runner, rob))
    (card,) = await chat.send("alice", f"/track {order_id}")
    assert "Where is my runner?" not in str(card.choices)  # delivered: the position is no longer kept
    assert keys(await chat.press("alice", f"data:o:{order_id}:where")) == ["where-not-on-the-way"]


async def test_a_student_is_not_shown_where_the_runner_was_before_taking_their_order(
        chat, services, db, campus, clock):
    """Rob carries Alice's order and shares his position; then he takes Bob's too. Bob sees nothing of where Rob was
    on Alice's errand, only positions from after Rob took his order."""
    rob = await runner(db, campus, clock(), "rob")
    first = await paid_order(services, await person(db, campus, clock(), "alice"))
    await act_notified(services, first, Event.accept, Actor(Role.runner, rob))
    await live(chat, "rob", *PARCEL_STATION)
    clock.advance(minutes=2)
    second = await paid_order(services, await person(db, campus, clock(), "bob"))
    await act_notified(services, second, Event.accept, Actor(Role.runner, rob))
    assert keys(await chat.send("alice", f"/where {first}")) == ["where-near"]
    assert keys(await chat.send("bob", f"/where {second}")) == ["where-unknown"]

    clock.advance(minutes=1)
    await live(chat, "rob", *CANTEEN_2, first=False)
    (near,) = await chat.send("bob", f"/where {second}")
    assert near.key == "where-near" and near.args["minutes"] == 0


@pytest.mark.parametrize(("language", "scheduled"), [
    ("en", "Order #{order} is for between 18:00 and 20:00: its runner's position is shown once that time begins."),
    ("zh_CN", "订单 #{order} 预约在 18:00 至 20:00：到那时才显示跑腿员的位置。"),
])
async def test_before_a_scheduled_errand_begins_its_student_is_not_shown_where_its_runner_is(
        chat, services, db, campus, clock, language, scheduled):
    # Rob took Alice's evening errand in the morning: where he spends his day is not hers to see.
    alice = await person(db, campus, clock(), "alice", language=language)
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, alice)
    evening = clock() + dt.timedelta(hours=8)  # 18:00 on campus
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(
            window_start=evening, window_end=evening + dt.timedelta(hours=2)))
    await act_notified(services, order_id, Event.accept, Actor(Role.runner, rob))
    await live(chat, "rob", *CANTEEN_2, until=clock() + dt.timedelta(hours=9))
    (said,) = await chat.send("alice", f"/where {order_id}")
    assert (said.key, said.text) == ("where-scheduled", scheduled.format(order=order_id))
    clock.advance(hours=8)  # its time: still nothing from the morning, only what he shares from now on
    assert keys(await chat.send("alice", f"/where {order_id}")) == ["where-unknown"]
    await live(chat, "rob", *PARCEL_STATION, first=False, until=clock() + dt.timedelta(hours=1))
    assert keys(await chat.send("alice", f"/where {order_id}")) == ["where-near"]
