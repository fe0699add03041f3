"""Operators pause ordering (/pause, /resume) and everyone reads the hours (/hours): while paused no new order is
placed, in any process, and the orders placed before go on."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.order import Actor, Event, Role
from locales import catalogue
from storage.models import OperatorAction, ServicePause
from storage.uow import UnitOfWork
from tests.factories import act, make_order, make_runner
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, operator
from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM, answer_all, conversation, funded, orders_of, refused

EN = catalogue("en")


async def pause_row(services) -> ServicePause | None:
    async with UnitOfWork(services.db, write=False) as uow:
        return await uow.session.get(ServicePause, services.default_campus.id)


async def recorded(services) -> list[tuple[str, str, dict]]:
    async with UnitOfWork(services.db, write=False) as uow:
        rows = await uow.session.scalars(select(OperatorAction).order_by(OperatorAction.id))
        return [(r.action, r.target, r.details) for r in rows]


async def test_a_paused_campus_takes_no_new_order_until_the_time_given(chat, services, clock):
    await operator(chat)
    alice = await funded(chat, services, "alice", 5000)
    replies = await chat.send(OP, "/pause 30m heavy rain")  # 10:00 on campus
    assert [r.text for r in replies] == [
        "Ordering is paused until 10:30. Students are told why: heavy rain. Orders placed before go on as usual."]

    replies = await refused(chat, services, "alice", lambda: chat.send("alice", "/order"), "order-paused")
    assert replies.text == ("Ordering is paused until 10:30. Reason: heavy rain. "
                            "Orders already placed go on as usual.")
    assert await orders_of(services, alice) == []

    clock.advance(minutes=30)  # the pause is over on its own
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM, "Confirm"])
    assert len(await orders_of(services, alice)) == 1
    assert (await recorded(services))[-1][:2] == ("service_pause", "campus:demo")


@pytest.mark.parametrize(("typed", "until", "reason"), [
    ("/pause 2 hours", "12:00", "none"), ("/pause 2 小时 下雨", "12:00", "下雨"), ("/pause 45 分钟 下雨", "10:45", "下雨"),
    ("/pause 1.5 h exams", "11:30", "exams"),
    ("/pause 1h our runners sit exams", "11:00", "our runners sit exams"),  # a unit written with it: none to join
    ("/pause 30m in the rain", "10:30", "in the rain"),
    ("/pause 24:00 exams", "11-24 00:00", "exams"),  # the end of today, as /hours set reads it
    # Before, a unit parse_minutes did not know paused for 2 minutes, with students shown "days exams".
    ("/pause 2 days exams", "11-25 10:00", "exams"), ("/pause 1 day", "11-24 10:00", "none"),
    ("/pause 2 天 放假", "11-25 10:00", "放假"), ("/pause 2d exams", "11-25 10:00", "exams"),
])
async def test_a_duration_with_its_unit_written_apart_is_read_whole(chat, services, clock, typed, until, reason):
    # Before, '/pause 2 hours' paused for 2 minutes and told students the reason was "hours".
    await operator(chat)
    (said,) = await chat.send(OP, typed)
    assert said.text.startswith(f"Ordering is paused until {until}.")
    paused = await pause_row(services)
    assert (paused.reason or "none") == reason


@pytest.mark.parametrize(("typed", "until", "reason"), [
    ("/pause 半小时", "10:30", "none"), ("/pause 两小时 下雨", "12:00", "下雨"), ("/pause 一小时", "11:00", "none"),
    ("/pause 十分钟 下雨", "10:10", "下雨"), ("/pause 三十分钟", "10:30", "none"), ("/pause 一个半小时", "11:30", "none"),
    ("/pause half an hour", "10:30", "none"), ("/pause an hour and a half heavy rain", "11:30", "heavy rain"),
    ("/pause 1 小时 30 分钟 下雨", "11:30", "下雨"), ("/pause 1 hour 30 minutes", "11:30", "none"),
    ("/pause until 18:00 rain", "18:00", "rain"), ("/pause 到18:00 下雨", "18:00", "下雨"),
    ("/pause 到 18：00", "18:00", "none"), ("/pause until 09:00", "11-24 09:00", "none"),
])
async def test_a_length_in_words_or_a_time_after_until_is_read_whole(chat, services, clock, typed, until, reason):
    # Before, each of these but the last two paused until /resume and showed students the words as the reason
    # ('/pause 两小时 下雨': "Reason: 两小时 下雨" three hours later), and '/pause 1 小时 30 分钟' paused for an hour, with the
    # reason "30 分钟".
    await operator(chat)
    (said,) = await chat.send(OP, typed)
    assert said.text.startswith(f"Ordering is paused until {until}."), said.text
    assert (reason == "none") is ("Students are told why" not in said.text)
    paused = await pause_row(services)
    assert (paused.reason or "none") == reason
    assert paused.until is not None


@pytest.mark.parametrize(("typed", "until", "reason"), [
    ("/pause for 30 minutes rain", "10:30", "rain"), ("/pause for an hour", "11:00", "none"),
    ("/pause next 2 hours", "12:00", "none"), ("/pause for the next 2 hours exams", "12:00", "exams"),
    ("/pause a half hour", "10:30", "none"), ("/pause quarter of an hour", "10:15", "none"),
    ("/pause a quarter of an hour rain", "10:15", "rain"), ("/pause two and a half hours", "12:30", "none"),
    ("/pause 一刻钟", "10:15", "none"), ("/pause 俩小时 下雨", "12:00", "下雨"), ("/pause 大约两小时", "12:00", "none"),
    ("/pause 约 30 分钟", "10:30", "none"), ("/pause about 2 hours rain", "12:00", "rain"),
    ("/pause for exams", None, "for exams"), ("/pause the gate is closed", None, "the gate is closed"),
    ('/pause "5 runners left"', None, "5 runners left"), ("/pause “5个跑腿员请假”", None, "5个跑腿员请假"),
    ("/pause 2h 5 runners left", "12:00", "5 runners left"), ("/pause 两个跑腿员请假", None, "两个跑腿员请假"),
])
async def test_a_length_after_for_or_next_and_other_common_phrasings_are_read(
        chat, services, clock, typed, until, reason):
    # Before, each of these that gives an end paused until /resume and showed students the words as the reason
    # ("Reason: for 30 minutes rain").
    await operator(chat)
    (said,) = await chat.send(OP, typed)
    paused = await pause_row(services)
    assert said.text.startswith(f"Ordering is paused until {until or 'you send /resume'}."), said.text
    assert (paused.until is None) is (until is None)
    assert (paused.reason or "none") == reason


@pytest.mark.parametrize(("typed", "until", "reason"), [
    ("/pause 今天下雨", None, "今天下雨"), ("/pause 晚上停电", None, "晚上停电"), ("/pause 下午考试", None, "下午考试"),
    ("/pause 中午人太多", None, "中午人太多"), ("/pause exams this week", None, "exams this week"),
    ("/pause one moment please", None, "one moment please"),
    ("/pause 两小时，下雨", "12:00", "下雨"), ("/pause 30分钟,下雨", "10:30", "下雨"), ("/pause 2h, rain", "12:00", "rain"),
    ("/pause 2 hours.", "12:00", "none"), ("/pause until 18:00.", "18:00", "none"),
    ("/pause rain,cold", None, "rain,cold"), ("/pause 2h 下雨,冷", "12:00", "下雨,冷"),
    # Before, students were shown "为止" and "or so" as the reason.
    ("/pause 到 18:00 为止", "18:00", "none"), ("/pause an hour or so", "11:00", "none"),
    ("/pause 2 hours ish, rain", "12:00", "rain"), ("/pause 一小时 左右 下雨", "11:00", "下雨"),
])
async def test_day_words_numbers_and_punctuation_in_an_ordinary_reason_are_read(
        chat, services, clock, typed, until, reason):
    # Before, the reasons were refused as a time that could not be read: a Chinese day word starting a word
    # ('今天下雨'), 'week' or 'one' among the first words, a comma or a full stop stuck to the length.
    await operator(chat)
    (said,) = await chat.send(OP, typed)
    paused = await pause_row(services)
    assert said.text.startswith(f"Ordering is paused until {until or 'you send /resume'}."), said.text
    assert (reason == "none") is ("Students are told why" not in said.text)
    assert (paused.until is None) is (until is None)
    assert (paused.reason or "none") == reason


@pytest.mark.parametrize(("typed", "quoted"), [
    ("/pause -30m rain", "-30m"), ("/pause ~30m", "~30m"), ("/pause 18点 下雨", "18点"), ("/pause 6pm", "6pm"),
    ("/pause until 6pm rain", "until 6pm"), ("/pause 到18点", "到18点"), ("/pause until 25:00", "until 25:00"),
    ("/pause 1 小时 75 分钟 下雨", "1 小时 75 分钟"), ("/pause 30m 2h rain", "30m 2h"), ("/pause 三点", "三点"),
    # Before, a bare number followed by a word was minutes (5, with the reason "runners left"; 2, "more hours"),
    # and the rest paused until /resume, showing the words as the reason.
    ("/pause 5 runners left", "5 runners"), ("/pause 2 more hours", "2 more"), ("/pause 30 heavy rain", "30 heavy"),
    ("/pause 1h 30", "1h 30"), ("/pause 下午6点", "下午6点"), ("/pause 晚上8点 停电", "晚上8点"),
    ("/pause rain for 2 hours", "rain for 2"), ("/pause two runners sick", "two"), ("/pause 明天", "明天"),
    ("/pause until tomorrow", "until tomorrow"), ("/pause 到明天早上", "到明天早上"), ("/pause 下雨两小时", "下雨两小时"),
    ("/pause for 5 runners left", "5 runners"), ("/pause next week", "next week"),
    ("/pause one more hour", "one more hour"), ("/pause rain for two hours", "rain for two"),
    ("/pause 30, heavy rain", "30, heavy"), ("/pause 今天下午6点", "今天下午6点"), ("/pause hours of rain", "hours"),
    # A coming day names an end: before, "back tomorrow" paused until /resume, past tomorrow.
    ("/pause 明天恢复", "明天恢复"), ("/pause 明早再开", "明早再开"),
])
async def test_a_length_or_time_that_cannot_be_read_is_refused_with_an_example_and_pauses_nothing(
        chat, services, typed, quoted):
    await operator(chat)
    await funded(chat, services, "alice", 0)
    replies = await chat.send(OP, typed)
    assert [r.text for r in replies] == [EN("admin-pause-when-invalid", text=quoted)]
    assert "nothing was paused" in replies[0].text and "/pause half an hour" in replies[0].text
    assert await pause_row(services) is None and await recorded(services) == []
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]


async def test_a_draft_begun_before_the_pause_is_not_placed_and_keeps_its_answers(chat, services, clock):
    await operator(chat)
    alice = await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)  # the quote is shown
    await chat.send(OP, "/pause")  # until /resume, no reason

    before = await conversation(services, "alice")
    replies = await chat.send("alice", "Confirm")
    assert [r.text for r in replies] == [
        "Ordering is paused for now; the operators will reopen it. Orders already placed go on as usual."]
    assert await orders_of(services, alice) == [] and await conversation(services, "alice") == before

    clock.advance(days=2)  # no end was given: still paused
    assert keys(await chat.send("alice", "Confirm")) == ["order-paused"]
    assert keys(await chat.send(OP, "/resume")) == ["admin-resumed"]
    assert keys(await chat.send("alice", "Confirm")) == ["order-created"]
    assert len(await orders_of(services, alice)) == 1


async def test_orders_placed_before_the_pause_go_on(chat, services, db, campus, clock):
    await operator(chat)
    alice = await funded(chat, services, "alice", 0)
    order_id = await make_order(db, campus, alice, clock.now)  # paid, in the hall
    runner = await make_runner(db, campus, clock.now)
    await chat.send(OP, "/pause 2h")
    await act(db, campus, order_id, Event.accept, Actor(Role.runner, runner), clock.now)
    await act(db, campus, order_id, Event.pickup, Actor(Role.runner, runner), clock.now)
    replies = await chat.send("alice", f"/track {order_id}")
    assert "picked up" in replies[0].text.lower()


async def test_hours_tell_whether_ordering_is_open_closed_or_paused(chat, services, clock):
    await operator(chat)
    await funded(chat, services, "alice", 0)
    hours = "Mon–Fri 07:00–23:30; Sat–Sun 08:00–24:00"
    assert [r.text for r in await chat.send("alice", "/hours")] == [
        f"Service hours: {hours}.", "Ordering is open now: /order"]
    await chat.send(OP, "/pause 18:00 too few runners")
    assert [r.text for r in await chat.send("alice", "/hours")] == [
        f"Service hours: {hours}.",
        "Ordering is paused until 18:00. Reason: too few runners. Orders already placed go on as usual."]
    await chat.send(OP, "/resume")
    clock.advance(hours=20, minutes=30)  # Tuesday 06:30, opens at 07:00
    assert [r.text for r in await chat.send("alice", "/hours")][-1] == (
        "We are closed right now, but you can schedule an errand for later today: /order")
    clock.advance(hours=17, minutes=15)  # Tuesday 23:45: nothing left today, as /order says
    assert [r.text for r in await chat.send("alice", "/hours")][-1] == "We are closed right now."
    assert keys(await chat.send("alice", "/order")) == ["order-closed"]


async def test_a_pause_of_hours_and_minutes(chat, services, clock):
    await operator(chat)
    assert keys(await chat.send(OP, "/pause 1h30m")) == ["admin-paused"]
    assert (await pause_row(services)).until == clock.now + dt.timedelta(minutes=90)


async def test_a_pause_until_a_time_already_past_today_ends_tomorrow(chat, services, clock):
    await operator(chat)
    replies = await chat.send(OP, "/pause 09:00")  # it is 10:00 on Monday: Tuesday 09:00
    assert replies[0].text == "Ordering is paused until 11-24 09:00. Orders placed before go on as usual."
    row = await pause_row(services)
    assert row.until == clock.now + dt.timedelta(hours=23)


@pytest.mark.parametrize("typed", ["1h75m", "25:00", "0", "0d", "1.333d"])
async def test_a_time_that_is_no_time_is_refused_and_pauses_nothing(chat, services, typed):
    await operator(chat)
    await funded(chat, services, "alice", 0)
    replies = await chat.send(OP, f"/pause {typed} rain")
    assert keys(replies) == ["admin-pause-when-invalid"]
    assert f'"{typed.split()[0]}" is not a time' in replies[0].text
    assert await pause_row(services) is None
    assert keys(await chat.send("alice", "/order")) == ["order-ask-type"]


async def test_a_pause_longer_than_three_days_is_refused(chat, services):
    await operator(chat)
    for typed in ("/pause 99h", "/pause 4 days", "/pause 1 week exams", "/pause 2 周"):
        assert [r.text for r in await chat.send(OP, typed)] == [
            "A pause lasts at most 3 days; for a longer closure change the service hours: /hours set."], typed
    assert await pause_row(services) is None


async def test_resuming_what_is_not_paused_says_so_and_records_nothing(chat, services, clock):
    await operator(chat)
    assert [r.text for r in await chat.send(OP, "/resume")] == ["Ordering is not paused."]
    await chat.send(OP, "/pause 10m")
    clock.advance(minutes=10)
    assert keys(await chat.send(OP, "/resume")) == ["admin-not-paused"]  # it ended on its own
    assert [a for a, _, _ in await recorded(services)] == ["service_pause"]


async def test_students_may_not_pause_or_resume(chat, services):
    await funded(chat, services, "alice", 0)
    assert keys(await chat.send("alice", "/pause")) == ["error-operators-only"]
    assert keys(await chat.send("alice", "/resume")) == ["error-operators-only"]
    assert await pause_row(services) is None


async def test_resuming_outside_service_hours_says_students_can_only_schedule(chat, services, clock):
    await operator(chat)
    await chat.send(OP, "/pause")
    clock.advance(hours=13, minutes=45)  # Monday 23:45
    [reply] = await chat.send(OP, "/resume")
    assert reply.text == ("Ordering is open again. It is outside service hours now "
                          "(Mon–Fri 07:00–23:30; Sat–Sun 08:00–24:00): students can schedule errands for later.")


async def test_the_chinese_pause(chat, services):
    await operator(chat)
    await funded(chat, services, "mei", 0)
    await chat.send("mei", "/language")
    await chat.press("mei", "中文")
    await chat.send(OP, "/pause 2小时 下大雨")
    [reply] = await chat.send("mei", "/order")
    assert reply.text == "暂停接单至 12:00。原因：下大雨。已下的订单照常进行。"
