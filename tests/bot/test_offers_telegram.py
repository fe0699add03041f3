"""On Telegram: an order offered to one runner first reaches them with Accept and Decline through the sender; once
they accept, the same message says the order is theirs and offers nothing more to press."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from bot.telegram.sender import TelegramSender
from core.campus import DispatchMode
from core.order import Actor, Event, Role
from handlers.context import Services
from handlers.io import Input, Kind
from handlers.location import live_position
from locales import catalogue
from storage.models import RunnerProfile
from storage.uow import UnitOfWork
from tests.bot.fake_bot_api import FakeBotAPI
from tests.bot.test_contact_privacy_telegram import deliver
from tests.bot.test_sender import virtual_time  # noqa: F401 - a fixture: the rate windows in the test's time
from tests.bot.test_telegram_adapter import (  # noqa: F401 - dispatcher: a fixture
    dispatcher,
    order_row,
    settle,
    tg_runner,
    tg_user,
    until,
)
from tests.factories import CIPHER
from tests.handlers.test_runner import act_notified, paid_order

EN = catalogue("en")


@pytest.mark.usefixtures("dispatcher")
async def test_an_accepted_offer_says_the_order_is_theirs_and_offers_nothing_more(
        fake_bot_api: FakeBotAPI, bot, services, campus, clock):
    customer = await tg_user(services, campus, clock, 1001)
    runner = await tg_runner(services, campus, clock, 3003)
    order_id = await paid_order(services, customer, favourite=runner)  # offered to the runner the student named
    sender = TelegramSender(services.db, bot, clock, cipher=services.cipher)  # as bot/telegram/app.py wires it
    await deliver(sender, services, clock)
    (offer,) = [m for m in fake_bot_api.bot_messages(3003) if fake_bot_api.buttons(m)]
    assert fake_bot_api.buttons(offer) == [[("Accept", f"g:{order_id}"), ("Decline", f"offer:{order_id}:decline")]]

    zhao = fake_bot_api.user(3003, "Zhao", language_code="en")
    fake_bot_api.press(zhao, offer, "Accept")
    await until(lambda: fake_bot_api.callback_answers)
    await settle(fake_bot_api, zhao)
    await deliver(sender, services, clock)
    shown = fake_bot_api.messages[(3003, offer["message_id"])]  # the offer, as the runner's chat shows it now
    assert shown["text"] == EN("hall-offer-taken", order=str(order_id))
    assert not fake_bot_api.buttons(shown)  # no Accept or Decline left to press
    heading = EN("notice-you-won", order=order_id, how="taken")
    assert any(m["text"].startswith(heading) for m in fake_bot_api.bot_messages(3003))
    row = await order_row(services, order_id)
    assert (row.runner_id, row.offer_runner_id, row.offer_until) == (runner, None, None)


async def test_an_order_offered_again_to_the_same_runner_is_a_new_message_not_an_edit_far_up(
        fake_bot_api: FakeBotAPI, bot, db, campus, clock):
    # Under auto-dispatch the nearest runner is offered the order and stops sharing their location while the offer
    # runs (no decline: one who declined or let it lapse is not offered that order again); another runner takes it
    # from the hall and gives it back, and the nearest runner, sharing again, is offered it again. That offer must
    # reach them as a new message (with a notification, at the bottom of their chat), not as an edit of the first
    # offer's message far up, which Telegram does not notify of: the offer would run out unseen.
    auto = campus.model_copy(update={"dispatch": campus.dispatch.model_copy(update={"mode": DispatchMode.auto})})
    services = Services(db=db, campuses={auto.id: auto}, cipher=CIPHER, clock=clock, channels=("telegram",))
    customer = await tg_user(services, auto, clock, 1001)
    near = await tg_runner(services, auto, clock, 3003)
    far = await tg_runner(services, auto, clock, 3004)
    for runner_id, building in ((near, "jd_station"), (far, "gym")):
        where = auto.building(building)
        async with UnitOfWork(db) as uow:
            await uow.session.execute(update(RunnerProfile).where(RunnerProfile.user_id == runner_id).values(
                available_lat=where.lat, available_lon=where.lon, available_until=clock() + dt.timedelta(hours=2)))
    order_id = await paid_order(services, customer)
    assert (await order_row(services, order_id)).offer_runner_id == near
    sender = TelegramSender(db, bot, clock, cipher=CIPHER)
    await deliver(sender, services, clock)
    (first,) = [m for m in fake_bot_api.bot_messages(3003) if fake_bot_api.buttons(m)]

    station = auto.building("jd_station")

    async def share(live_until: dt.datetime | None) -> None:  # a later position of near's live location
        await live_position(services, Input("telegram", "3003", Kind.location, lat=station.lat, lon=station.lon,
                                            live_until=live_until), first=False, plain=None)  # type: ignore[arg-type]

    clock.advance(seconds=30)
    await share(None)  # near stops sharing: the offer ends, the order goes to the hall
    assert (await order_row(services, order_id)).offer_runner_id is None
    clock.advance(seconds=30)
    await share(clock() + dt.timedelta(hours=1))  # and shares again
    await act_notified(services, order_id, Event.accept, Actor(Role.runner, far))
    await act_notified(services, order_id, Event.release, Actor(Role.runner, far))
    assert (await order_row(services, order_id)).offer_runner_id == near  # offered to the nearest runner again
    await deliver(sender, services, clock)

    offers = [m for m in fake_bot_api.bot_messages(3003) if fake_bot_api.buttons(m)]
    assert len(offers) == 1 and offers[0]["message_id"] != first["message_id"]  # a new message: the runner hears it
    assert fake_bot_api.buttons(offers[0]) == [[("Accept", f"g:{order_id}"), ("Decline", f"offer:{order_id}:decline")]]
    assert fake_bot_api.bot_messages(3003)[-1] == offers[0]  # at the bottom of their chat
