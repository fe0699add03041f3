"""Operators set the service hours from chat (/hours set, /hours reset): ordering follows them at once, in every
process, drafts are checked against them at Confirm, and the orders placed before keep their times."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import HoursChange, OperatorAction
from storage.uow import UnitOfWork
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator, operator_speaking
from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM, answer_all, funded, orders_of, refused

FILE_HOURS = "Mon–Fri 07:00–23:30; Sat–Sun 08:00–24:00"  # campus/demo.yaml; the clock starts on Monday 10:00


async def kept(services) -> list[str]:
    async with UnitOfWork(services.db, write=False) as uow:
        return [c.windows for c in await uow.session.scalars(select(HoursChange))]


async def recorded(services) -> list[tuple[str, dict]]:
    async with UnitOfWork(services.db, write=False) as uow:
        rows = await uow.session.scalars(select(OperatorAction).order_by(OperatorAction.id))
        return [(r.action, r.details) for r in rows]


async def test_hours_set_from_chat_close_ordering_now_and_a_reset_reopens_it(chat, services):
    await operator(chat)
    alice = await funded(chat, services, "alice", 5000)
    assert [r.text for r in await chat.send(OP, "/hours set sat,sun 09:00-18:00")] == [
        "🕒 Service hours are now: Sat–Sun 09:00–18:00. Ordering is closed now. Orders already placed keep their times."]
    assert [r.text for r in await chat.send("alice", "/order")] == [
        "Sorry, we are closed. Service hours: Sat–Sun 09:00–18:00."]
    assert [r.text for r in await chat.send("alice", "/hours")] == [
        "Service hours: Sat–Sun 09:00–18:00.", "We are closed right now."]

    assert [r.text for r in await chat.send(OP, "/hours reset")] == [
        f"🕒 Service hours are the campus file's again: {FILE_HOURS}. Ordering is open now."]
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM, "Confirm"])
    assert len(await orders_of(services, alice)) == 1
    assert await kept(services) == []
    assert [action for action, _ in await recorded(services)] == ["hours_set", "hours_reset"]
    assert (await recorded(services))[0][1] == {"windows": [
        {"days": ["sat", "sun"], "start": "09:00:00", "end": "18:00:00"}]}


async def test_hours_set_past_the_files_open_ordering_when_the_file_says_closed(chat, services, clock):
    await operator(chat)
    await funded(chat, services, "alice", 5000)
    clock.advance(hours=13, minutes=45)  # Monday 23:45: the file closed at 23:30, nothing is left of today
    assert keys(await chat.send("alice", "/order")) == ["order-closed"]
    assert [r.text for r in await chat.send(OP, "/hours set 07:00-24:00")] == [
        "🕒 Service hours are now: every day 07:00–24:00. Ordering is open now. Orders already placed keep their times."]
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]
    clock.advance(minutes=15)  # midnight: closed until 07:00
    assert keys(await chat.send("alice", "/hours"))[-1] == "hours-closed"


async def test_the_other_operators_are_told_the_new_hours_in_their_own_language(chat, services, db, campus, clock):
    """The campus reads Chinese; its console operator reads English: the hours dora sets and puts back reach them
    worded in English, like the rest of the notice, not as the campus's 周一至周五 in an English sentence."""
    await operator(chat)
    dora = await operator_speaking(db, campus, clock.now, "en")
    await chat.send("dora", "/hours set mon-fri 08:00-22:00")
    (told,) = [m["text"] for m in await chat.inbox(OP) if m["key"] == "hours-set-by"]
    assert told == f"🕒 dora (#{dora}) set the service hours: Mon–Fri 08:00–22:00. Ordering is open now."
    await chat.send("dora", "/hours reset")
    (told,) = [m["text"] for m in await chat.inbox(OP) if m["key"] == "hours-reset-by"]
    assert told == f"🕒 dora (#{dora}) put the campus file's service hours back: {FILE_HOURS}. Ordering is open now."


async def test_a_draft_begun_before_the_hours_changed_is_not_placed_at_confirm(chat, services):
    await operator(chat)
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)  # the quote is shown
    await chat.send(OP, "/hours set sat,sun 09:00-18:00")
    reply = await refused(chat, services, "alice", lambda: chat.send("alice", "Confirm"), "order-closed")
    assert reply.text == "Sorry, we are closed. Service hours: Sat–Sun 09:00–18:00."
    assert await orders_of(services, alice) == []


async def test_only_operators_see_where_the_hours_come_from(chat, services):
    await operator(chat)
    await funded(chat, services, "alice", 0)
    assert [r.text for r in await chat.send(OP, "/hours")][:2] == [
        f"Service hours: {FILE_HOURS}.", "These are the campus file's hours; /hours set changes them."]
    await chat.send(OP, "/hours set mon-fri 08:00-22:00 sat sun 10:00-20:00")
    assert [r.text for r in await chat.send(OP, "/hours")][:2] == [
        "Service hours: Mon–Fri 08:00–22:00; Sat–Sun 10:00–20:00.",
        "These hours were set from chat (/hours set); /hours reset goes back to the campus file's."]
    assert [r.text for r in await chat.send("alice", "/hours")] == [
        "Service hours: Mon–Fri 08:00–22:00; Sat–Sun 10:00–20:00.", "Ordering is open now: /order"]


@pytest.mark.parametrize("typed, key", [
    ("/hours set 25:00-26:00", "hours-set-invalid"),
    ("/hours set mon-fri", "hours-set-no-range"),
    ("/hours set 08:00-08:00", "hours-set-empty"),
    ("/hours set", "hours-usage"),
    ("/hours sometimes", "hours-usage"),
    ("/hours reset", "hours-not-changed"),
])
async def test_hours_that_cannot_be_read_are_refused_and_change_nothing(chat, services, typed, key):
    await operator(chat)
    await funded(chat, services, "alice", 0)
    assert keys(await chat.send(OP, typed)) == [key]
    assert await kept(services) == [] and await recorded(services) == []
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]


async def test_a_refusal_names_what_could_not_be_read(chat, services):
    await operator(chat)
    assert [r.text for r in await chat.send(OP, "/hours set weekdays 07:00-23:30")] == [
        '"weekdays" is neither days nor a time range. '
        'Write it like /hours set mon-fri 07:00-23:30 sat,sun 08:00-24:00.']


async def test_students_may_not_set_the_hours(chat, services):
    await funded(chat, services, "alice", 0)
    assert keys(await chat.send("alice", "/hours set 00:00-24:00")) == ["error-operators-only"]
    assert keys(await chat.send("alice", "/hours reset")) == ["error-operators-only"]
    assert keys(await chat.send("alice", "/hours whenever")) == ["error-operators-only"]
    assert await kept(services) == []


async def test_the_chinese_hours(chat, services):
    await operator(chat)
    await funded(chat, services, "mei", 0)
    await chat.send("mei", "/language")
    await chat.press("mei", "中文")
    await chat.send(OP, "/hours set 周一至周五 08:00-12:00 13:00-22:00 周六、周日 09:00-24:00")
    assert [r.text for r in await chat.send("mei", "/hours")][0] == (
        "服务时间：周一至周五 08:00–12:00、13:00–22:00；周六至周日 09:00–24:00。")


async def test_a_time_chosen_before_the_hours_changed_is_refused_when_chosen_and_at_confirm(chat, services):
    await operator(chat)
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    replies = await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[:9])  # Monday 10:00: the time step's buttons
    [in_an_hour] = [c.data for c in replies[0].flat_choices() if c.label == "In 1 h (11:00–12:00)"]
    await chat.send(OP, "/hours set 14:00-22:00")
    reply = await refused(chat, services, "alice", lambda: chat.press("alice", f"data:{in_an_hour}"),
                          "order-window-outside-hours")
    assert reply.text == "11:00 is outside the service hours (every day 14:00–22:00). Please choose another time."

    await chat.send(OP, "/hours reset")
    await chat.press("alice", f"data:{in_an_hour}")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM[10:])  # the quote, for 11:00
    await chat.send(OP, "/hours set 14:00-22:00")
    reply = await refused(chat, services, "alice", lambda: chat.send("alice", "Confirm"), "order-window-outside-hours")
    assert reply.text == ("11:00 is outside the service hours (every day 14:00–22:00). Please start the errand "
                          "again with /order and choose another time.")
    assert await orders_of(services, alice) == []


async def test_hours_set_while_paused_say_ordering_is_paused(chat, services):
    await operator(chat)
    await chat.send(OP, "/pause rain")
    assert [r.text for r in await chat.send(OP, "/hours set 07:00-24:00")] == [
        "🕒 Service hours are now: every day 07:00–24:00. Ordering is paused now, though (/resume ends the pause). "
        "Orders already placed keep their times."]


async def test_overlapping_ranges_are_refused_naming_the_day(chat, services):
    await operator(chat)
    assert [r.text for r in await chat.send(OP, "/hours set 07:00-23:30 sat 09:00-18:00")] == [
        "Two of the time ranges overlap on Sat. A day may have several ranges, apart from each other, like "
        "/hours set mon-fri 07:00-12:00 13:00-23:30 sat,sun 08:00-24:00."]
    assert await kept(services) == []


async def test_the_ranges_of_the_same_days_are_said_together(chat, services):
    await operator(chat)
    replies = await chat.send(OP, "/hours set mon-fri 8:00-12:00 sat 9:00-12:00 mon-fri 13:00-22:00")
    assert [r.text for r in replies] == [
        "🕒 Service hours are now: Mon–Fri 08:00–12:00, 13:00–22:00; Sat 09:00–12:00. Ordering is open now. "
        "Orders already placed keep their times."]
