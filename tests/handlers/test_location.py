"""A live location's first position: kept (and said so) only for a runner carrying an order; anyone else's is
answered as a one-off location would be."""
from __future__ import annotations

from core.order import Actor, Event, Role
from handlers.io import Input, Kind
from handlers.location import live_position
from storage.uow import UnitOfWork
from tests.handlers.harness import keys
from tests.handlers.test_hall import PARCEL_STATION
from tests.handlers.test_runner import act_notified, paid_order, person, runner


async def live(chat, who: str, lat: float, lon: float, *, first: bool = True, update_id: str | None = None):
    inp = Input(chat.channel, who, Kind.location, lat=lat, lon=lon, name=who, update_id=update_id)
    return await live_position(chat.services, inp, first=first, plain=chat.app.handle)


async def last_lat(db, user_id: int) -> float | None:
    async with UnitOfWork(db, write=False) as uow:
        profile = await uow.runners.get(user_id)
    assert profile is not None
    return profile.last_lat


async def test_a_students_live_location_gets_what_a_one_off_location_gets(chat, services, db, campus, clock):
    await person(db, campus, clock(), "alice")
    replies = await live(chat, "alice", *PARCEL_STATION)
    assert keys(replies) == keys(await chat.share_location("alice", *PARCEL_STATION)) == ["idle-hint", "menu-title"]


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


async def test_a_runner_carrying_an_order_is_kept_and_told_so(chat, services, db, campus, clock):
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, await person(db, campus, clock(), "alice"))
    await act_notified(services, order_id, Event.accept, Actor(Role.runner, rob))
    replies = await live(chat, "rob", *PARCEL_STATION)
    assert keys(replies) == ["live-kept"] and replies[0].args == {"orders": f"#{order_id}"}
    assert await last_lat(db, rob) == PARCEL_STATION[0]
    assert await live(chat, "rob", 30.2600, 120.1190, first=False) == []  # later positions: silent
    assert await last_lat(db, rob) == 30.2600
