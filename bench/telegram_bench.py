"""Telegram throughput: updates per second through the whole bot against the fake Bot API server, beside a bare
aiogram bot that only echoes, measured in the same run.

paotui side: a fresh SQLite database (migrated), the demo campus, the real Dispatcher from build_dispatcher with a
real Bot whose aiohttp session talks HTTP to tests/bot/fake_bot_api.py (spec checking on). Seeded: students
(started, English, wallet topped up), approved runners with the quiz passed, and open orders. The load is mixed:
students walk the ordering wizard (pressing the step buttons of the bot's last keyboard, typing where a step asks
for text), pay, list their orders and /track one; runners press Grab on the newest open orders in the task hall
(several press the same one: one wins, the others lose), and the winners mark pickup and delivery and /track it.

Every update goes the real way: a raw JSON dict parsed into an aiogram Update, Dispatcher.feed_update (middleware,
the adapter, the handlers, their database transaction) and the bot's HTTP calls to the fake server. Many users
run in parallel, each with an equal share of the updates (so the mix is the population's); each user's updates run
one after another (as OnePerUser orders them anyway). After a warm-up, a fixed number of updates is timed; the
figures are the bot process's: updates/s, per-update latency (feed_update to done, including waiting for the
SQLite writer slot), and its CPU time per update. Before the warm-up the garbage collector is settled as the
service settles it once started (bot/runtime.py), for both bots (it is one process).

Bare side: an aiogram Dispatcher with one handler that echoes text (message.answer(message.text)) and one that
answers button presses, fed the very same updates (same users, same order, same concurrency), against the same
fake server.

Same-calls side: for each of those updates, exactly the Bot API calls paotui made for it (recorded by a session
middleware: answers, replies, chat actions, edits), with no database and no logic, on paotui's session. Its rate is
the most any bot making those calls reaches here; the gap to paotui is paotui's own work.

Shell side: paotui's own dispatcher, adapter and rendering (build_dispatcher) on the same updates, with App.handle
answering at once with what it answered for that update in the paotui phase: the rate paotui would have if its
handlers and their database work cost nothing, and so App.handle's share of paotui's CPU per update.

The fake server runs in a child process by default, as Telegram runs elsewhere: the figures are then the bot's
own cost, not the fake's spec checking (--fake inline puts it in the bot's event loop, as the tests do).

    python -m bench.telegram_bench [--updates 3000] [--warmup 400] [--students 48] [--runners 32] [--rounds 1]
                                   [--fake process|inline] [--profile]

Prints figures with the targets (>= 300 updates/s, >= half the bare bot's rate) and PASS/FAIL; exits 0. On a
shared machine use --rounds 3: the rounds alternate between the three bots and the medians count.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import contextvars
import cProfile
import datetime as dt
import io
import logging
import multiprocessing
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, Update
from sqlalchemy import func, select

from bot.campus_file import load_campus
from bot.runtime import settle_garbage_collector
from bot.settings import Settings
from bot.telegram.adapter import build_dispatcher
from bot.telegram.response_models import keep_response_models
from bot.telegram.session import TelegramSession
from core.campus import Campus
from handlers.context import Services
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Order as OrderRow
from storage.models import RunnerProfile, User
from storage.throttle import Throttle, ThrottleConfig
from storage.uow import UnitOfWork
from tests.bot.fake_bot_api import FakeBotAPI
from tests.factories import CIPHER, make_order, top_up

START = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # a Monday, 10:00 on campus: service hours
TARGET_RATE = 300.0  # updates/s
TARGET_RATIO = 0.5  # of the bare bot's rate
STUDENT_BASE, RUNNER_BASE = 10_000, 20_000  # Telegram user ids
WALLET_FEN = 10_000_000
NEWEST = 3  # runners press one of the newest open orders: most presses collide, one wins


# ----------------------------------------------------------------------------------------------- the fake server

def _fake_process(conn) -> None:
    asyncio.run(_fake_serve(conn))


def _fake_stats(api: FakeBotAPI) -> dict[str, Any]:
    return {"requests": len(api.requests), "violations": list(api.violations), "cpu": time.process_time()}


async def _fake_serve(conn) -> None:
    api = FakeBotAPI()
    await api.start()
    conn.send((api.base_url, api.token, api.bot_user))
    loop = asyncio.get_running_loop()
    try:
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            conn.send(_fake_stats(api))
            if command == "stop":
                break
    finally:
        await api.close()


class FakeServer:
    """The fake Bot API: in a child process (its own CPU, like Telegram), or inline in this event loop."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.api: FakeBotAPI | None = None
        self.proc: multiprocessing.Process | None = None
        self.conn = None
        self.base_url = self.token = ""
        self.bot_user: dict[str, Any] = {}

    async def start(self) -> None:
        if self.mode == "inline":
            self.api = FakeBotAPI()
            await self.api.start()
            self.base_url, self.token, self.bot_user = self.api.base_url, self.api.token, self.api.bot_user
            return
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_fake_process, args=(child,), daemon=True, name="fake-bot-api")
        self.proc.start()
        self.base_url, self.token, self.bot_user = await asyncio.to_thread(self.conn.recv)

    async def stats(self, command: str = "stats") -> dict[str, Any]:
        if self.api is not None:
            return _fake_stats(self.api)
        self.conn.send(command)
        return await asyncio.to_thread(self.conn.recv)

    async def close(self) -> dict[str, Any]:
        if self.api is not None:
            final = _fake_stats(self.api)
            await self.api.close()
            return final
        final = await self.stats("stop")
        await asyncio.to_thread(self.proc.join, 10)
        if self.proc.is_alive():
            self.proc.terminate()
        return final


class LastKeyboard(BaseRequestMiddleware):
    """What a person sees: the bot's last message in each chat, and its last one with inline buttons.

    A session middleware, so it sees the Message objects aiogram parsed from the server's answers anyway."""

    def __init__(self) -> None:
        self.last: dict[int, Message] = {}
        self.keyboard: dict[int, Message] = {}

    async def __call__(self, make_request, bot, method):
        message = await make_request(bot, method)  # the session's middlewares see the parsed result
        if isinstance(message, Message):
            self.last[message.chat.id] = message
            if isinstance(message.reply_markup, InlineKeyboardMarkup):
                self.keyboard[message.chat.id] = message
        return message


def make_bot(server: FakeServer, session: type[AiohttpSession] = TelegramSession) -> Bot:
    """paotui's bot has paotui's session (bot/telegram/session.py); the bare bot aiogram's own."""
    return Bot(server.token, session=session(api=TelegramAPIServer.from_base(server.base_url)))


# ----------------------------------------------------------------------------------------------- updates

class Updates:
    """Raw updates as Telegram sends them (the shapes tests/bot/fake_bot_api.py builds), cheaply."""

    def __init__(self, bot_user: dict[str, Any], hall_chat_id: int) -> None:
        self.bot_user = bot_user
        self.hall = {"id": hall_chat_id, "type": "supergroup", "title": "Task hall"}
        self._update_id = 100_000
        self._message_id = 1_000_000
        self._callback_id = 0
        self.date = int(time.time())

    def next_id(self) -> int:
        self._update_id += 1
        return self._update_id

    def text(self, user: dict[str, Any], text: str) -> dict[str, Any]:
        self._message_id += 1
        message: dict[str, Any] = {"message_id": self._message_id, "date": self.date, "from": user,
                                   "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                                   "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": self.next_id(), "message": message}

    def callback(self, user: dict[str, Any], data: str, message: dict[str, Any]) -> dict[str, Any]:
        self._callback_id += 1
        return {"update_id": self.next_id(), "callback_query": {
            "id": str(self._callback_id), "from": user, "message": message,
            "chat_instance": f"ci{message['chat']['id']}", "data": data}}

    def bot_message(self, user: dict[str, Any], sent: Message | None) -> dict[str, Any]:
        """The message a private button sits under, as the callback query carries it."""
        message: dict[str, Any] = {
            "message_id": sent.message_id if sent else 1, "date": self.date, "from": self.bot_user,
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "text": (sent.text if sent and sent.text else "…")}
        if sent is not None and isinstance(sent.reply_markup, InlineKeyboardMarkup):
            message["reply_markup"] = {"inline_keyboard": [
                [{"text": b.text, "callback_data": b.callback_data} for b in row]
                for row in sent.reply_markup.inline_keyboard]}
        return message

    def hall_card(self, order_id: int) -> dict[str, Any]:
        return {"message_id": order_id, "date": self.date, "from": self.bot_user, "chat": self.hall,
                "text": f"New errand #{order_id}: Parcel Station → Library, share 4.25",
                "reply_markup": {"inline_keyboard": [[{"text": "Grab", "callback_data": f"g:{order_id}"}]]}}


class World:
    """What the simulated people know: open orders in the hall, who won what, what the bot showed each chat."""

    def __init__(self, updates: Updates, seen: LastKeyboard, rng: random.Random) -> None:
        self.updates = updates
        self.seen = seen
        self.rng = rng
        self.open_orders: list[int] = []
        self._open: set[int] = set()
        self.won: dict[int, list[int]] = collections.defaultdict(list)  # runner user id → orders won
        self.grab_outcomes: collections.Counter[str] = collections.Counter()

    def add_open(self, order_id: int) -> None:
        if order_id not in self._open:
            self._open.add(order_id)
            self.open_orders.append(order_id)

    def close(self, order_id: int) -> None:
        if order_id in self._open:
            self._open.discard(order_id)
            self.open_orders.remove(order_id)

    def pick_open(self) -> int | None:
        if not self.open_orders:
            return None
        return self.rng.choice(self.open_orders[-NEWEST:])


def watch_grabs(services: Services, world: World) -> None:
    """Learn the outcome of each grab (the hall press answers with a toast the simulated runner cannot read)."""
    original = services.grabs.grab

    async def grab(order_id: int, runner_id: int, on_won=None):
        result = await original(order_id, runner_id, on_won)
        world.grab_outcomes[result.reason] += 1
        if result.won:
            world.won[runner_id].append(order_id)
        if result.won or result.reason in ("grab-taken", "grab-gone"):
            world.close(order_id)
        return result

    services.grabs.grab = grab  # type: ignore[method-assign]


class Person:
    """One Telegram user: produces their next update from what they saw; updates run one after another."""

    def __init__(self, world: World, tg_id: int, name: str) -> None:
        self.world = world
        self.user = {"id": tg_id, "is_bot": False, "first_name": name, "language_code": "en"}
        self.sent: list[dict[str, Any]] = []  # this phase's updates, replayed to the bare bot
        self.calls: list[list[Any]] = []  # the Bot API calls paotui made for each of them
        self.replies: list[list[Any]] = []  # what paotui's App.handle answered for each of them
        self.resyncs = 0

    def next_update(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def done(self, kind: str) -> None:
        """The update of this kind was handled."""

    def text(self, text: str) -> dict[str, Any]:
        return self.world.updates.text(self.user, text)

    def press(self, data: str, message: Message | None) -> dict[str, Any]:
        return self.world.updates.callback(self.user, data, self.world.updates.bot_message(self.user, message))

    def keyboard(self) -> Message | None:
        return self.world.seen.keyboard.get(self.user["id"])


WIZARD_LIBRARY = [  # (kind, what): "press" a step button by its value, "text" type it, "first" the first b: button
    ("text", "/order"), ("press", "parcel"), ("first", "b:"), ("text", "Library"), ("press", "-"),
    ("text", "Parcel under the name Li, code 4-2-1187"), ("press", "1"), ("press", "small"), ("press", "now"),
    ("press", "t:fragile"), ("press", "done"), ("press", "-"), ("press", "any"), ("press", "-"), ("press", "100"),
    ("press", "-"), ("press", "ok"),
]
WIZARD_DORM = [
    ("text", "/order"), ("press", "parcel"), ("first", "b:"), ("text", "Women's Dorm 3"), ("text", "301"),
    ("press", "3"), ("press", "-"), ("text", "Two boxes from JD, code 55-0192"), ("press", "3"), ("press", "medium"),
    ("press", "now"), ("press", "done"), ("text", "Please call when you are downstairs"), ("press", "any"),
    ("press", "-"), ("press", "0"), ("press", "-"), ("press", "ok"),
]


class Student(Person):
    def __init__(self, world: World, tg_id: int, name: str, script: list[tuple[str, str]]) -> None:
        super().__init__(world, tg_id, name)
        self.script = script
        self.pos = 0
        self.last_order: int | None = None
        self.after: list[str] = []  # pay, /orders, /track after the wizard

    def next_update(self) -> tuple[str, dict[str, Any]]:
        if self.after:
            step = self.after.pop(0)
            if step == "pay":
                shown = self.keyboard()
                data = next((b.callback_data for row in (shown.reply_markup.inline_keyboard if shown else [])
                             for b in row if (b.callback_data or "").startswith("pay:")), None)
                if data is not None:
                    self.last_order = int(data.split(":")[1])
                    return "pay", self.press(data, shown)
                self.resyncs += 1
                self.after = []
                return self.next_update()
            if step == "orders":
                return "orders / track", self.text("/orders")
            return "orders / track", self.text(f"/track {self.last_order}")
        kind, what = self.script[self.pos]
        self.pos += 1
        if self.pos == len(self.script):
            self.pos = 0
            self.after = ["pay", "orders", "track"]
        if kind == "text":
            return "ordering step", self.text(what)
        shown = self.keyboard()
        buttons = [b.callback_data or "" for row in (shown.reply_markup.inline_keyboard if shown else []) for b in row]
        if kind == "first":
            data = next((d for d in buttons if d.startswith("s:") and d.split(":", 2)[2].startswith(what)), None)
        else:
            data = next((d for d in buttons if d.startswith("s:") and d.split(":", 2)[2] == what), None)
        if data is None:  # not where the script thought: start the order again
            self.resyncs += 1
            self.pos, self.after = 1, []
            return "ordering step", self.text("/order")
        return "ordering step", self.press(data, shown)

    def done(self, kind: str) -> None:
        if kind == "pay" and self.last_order is not None:
            self.world.add_open(self.last_order)  # just paid: the order is in the hall now


class Runner(Person):
    def __init__(self, world: World, tg_id: int, name: str, user_id: int) -> None:
        super().__init__(world, tg_id, name)
        self.user_id = user_id
        self.todo: list[tuple[int, str]] = []
        self.idle = 0

    def next_update(self) -> tuple[str, dict[str, Any]]:
        if self.todo:
            order_id, verb = self.todo.pop(0)
            if verb == "track":
                return "orders / track", self.text(f"/track {order_id}")
            shown = self.world.seen.last.get(self.user["id"])
            return "pickup / deliver", self.press(f"o:{order_id}:{verb}", shown)
        order_id = self.world.pick_open()
        if order_id is None:
            self.idle += 1
            return "orders / track", self.text("/nearby")
        return "grab", self.world.updates.callback(self.user, f"g:{order_id}", self.world.updates.hall_card(order_id))

    def done(self, kind: str) -> None:
        won = self.world.won.pop(self.user_id, None)
        for order_id in won or []:
            self.todo += [(order_id, "pickup"), (order_id, "track"), (order_id, "deliver")]


# ----------------------------------------------------------------------------------------------- running

class Phase:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.gen_time = 0.0
        self.elapsed = 0.0
        self.cpu = 0.0
        self.fake_cpu = 0.0
        self.fake_requests = 0
        self.kinds: collections.Counter[str] = collections.Counter()

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_per_update(self) -> float:
        return self.cpu / self.count if self.count else 0.0


class Round(NamedTuple):
    """One timed round: each bot fed the same updates, one after another."""

    paotui: Phase
    bare: Phase
    same: Phase
    shell: Phase


async def measured(server: FakeServer, phase: Phase, work: Awaitable[None]) -> None:
    """Time `work` (a coroutine, not started yet): wall clock, this process's CPU, the fake server's share."""
    before = await server.stats()
    cpu0, t0 = time.process_time(), time.perf_counter()
    await work
    phase.elapsed = time.perf_counter() - t0
    phase.cpu = time.process_time() - cpu0
    after = await server.stats()
    phase.fake_requests = after["requests"] - before["requests"]
    phase.fake_cpu = after["cpu"] - before["cpu"] if server.mode == "process" else float("nan")


async def feed(dp: Dispatcher, bot: Bot, raw: dict[str, Any], phase: Phase, **data: Any) -> None:
    t0 = time.perf_counter()
    try:
        await dp.feed_update(bot, Update.model_validate(raw, context={"bot": bot}), **data)
    except Exception:
        phase.errors += 1
        if phase.errors == 1:
            logging.getLogger("bench").exception("an update failed")
    phase.latencies.append((time.perf_counter() - t0) * 1000)


async def run_people(dp: Dispatcher, bot: Bot, people: list[Person], n: int, phase: Phase) -> None:
    """n updates in all, an equal share per person (so the mix is the population's), everyone at once."""
    shares = [n // len(people) + (i < n % len(people)) for i in range(len(people))]

    async def one(person: Person, share: int) -> None:
        for _ in range(share):
            g0 = time.perf_counter()
            kind, raw = person.next_update()
            phase.gen_time += time.perf_counter() - g0
            person.sent.append(raw)
            phase.kinds[kind] += 1
            calls: list[Any] = []
            person.calls.append(calls)
            CALLS.set(calls)
            replies: list[Any] = []
            person.replies.append(replies)
            REPLIES.set(replies)
            await feed(dp, bot, raw, phase)
            person.done(kind)

    for person in people:
        person.sent, person.calls, person.replies = [], [], []
    await asyncio.gather(*(one(p, share) for p, share in zip(people, shares)))


async def replay(dp: Dispatcher, bot: Bot, sequences: list[list[dict[str, Any]]], updates: Updates,
                 phase: Phase) -> None:
    async def one(sequence: list[dict[str, Any]]) -> None:
        for raw in sequence:
            await feed(dp, bot, {**raw, "update_id": updates.next_id()}, phase)

    await asyncio.gather(*(one(s) for s in sequences))


async def replay_replies(dp: Dispatcher, bot: Bot, people: list[Person], updates: Updates, phase: Phase) -> None:
    """The same updates again through paotui's shell, each with what App.handle answered for it."""
    async def one(person: Person) -> None:
        for raw, replies in zip(person.sent, person.replies):
            REPLIES.set(list(replies))
            await feed(dp, bot, {**raw, "update_id": updates.next_id()}, phase)

    await asyncio.gather(*(one(p) for p in people))


async def replay_calls(dp: Dispatcher, bot: Bot, people: list[Person], updates: Updates, phase: Phase) -> None:
    """The same updates again, each with the Bot API calls paotui made for it."""
    async def one(person: Person) -> None:
        for raw, calls in zip(person.sent, person.calls):
            await feed(dp, bot, {**raw, "update_id": updates.next_id()}, phase, calls=calls)

    await asyncio.gather(*(one(p) for p in people))


CALLS: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("calls", default=None)


class RecordCalls(BaseRequestMiddleware):
    """Notes each Bot API call paotui makes in the list of the update being handled (CALLS)."""

    async def __call__(self, make_request, bot, method):
        calls = CALLS.get()
        if calls is not None:
            calls.append(method)
        return await make_request(bot, method)


REPLIES: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("replies", default=None)


def record_replies(dp: Dispatcher) -> None:
    """Notes what App.handle answered for the update being handled, in its list (REPLIES)."""
    app = dp["telegram_adapter"].app
    handle = app.handle

    async def recorded(inp: Any) -> Any:
        replies = await handle(inp)
        found = REPLIES.get()
        if found is not None:
            found.append(replies)
        return replies
    app.handle = recorded


def shell_dispatcher(services: Services, bot: Bot, settings: Settings) -> Dispatcher:
    """paotui's own dispatcher, adapter and rendering, but App.handle (the handlers and their database work) answers
    at once with what it answered for the same update in the paotui phase (REPLIES)."""
    dp = build_dispatcher(services, bot, settings)

    async def replayed(inp: Any) -> Any:
        found = REPLIES.get()
        return found.pop(0) if found else []
    dp["telegram_adapter"].app.handle = replayed
    return dp


def same_calls_dispatcher() -> Dispatcher:
    """No database and no logic: each update just makes the Bot API calls paotui made for it (answers, replies,
    chat actions, edits), so its rate is the most any bot making those calls could reach here."""
    dp = Dispatcher(name="same-calls")

    async def same_calls(handler, event, data):  # noqa: ANN001, ANN202 - aiogram's middleware signature
        for method in data["calls"]:
            with contextlib.suppress(TelegramAPIError):  # e.g. an edit that changes nothing this time
                await data["bot"](method)

    dp.update.outer_middleware(same_calls)
    return dp


def bare_dispatcher() -> Dispatcher:
    router = Router(name="echo")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    @router.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()

    dp = Dispatcher(name="bare")
    dp.include_router(router)
    return dp


# ----------------------------------------------------------------------------------------------- seeding

async def tg_user(db: Database, campus: Campus, tg_id: int, name: str) -> int:
    async with UnitOfWork(db) as uow:
        user = User(channel="telegram", external_id=str(tg_id), campus_id=campus.id, display_name=name,
                    language="en", started_bot=True, created_at=START, preference_tags=[])
        uow.session.add(user)
        await uow.session.flush()
        return user.id  # type: ignore[return-value]


async def seed(db: Database, campus: Campus, world: World, students: int, runners: int, open_orders: int
               ) -> tuple[list[Student], list[Runner]]:
    people_s: list[Student] = []
    student_ids: list[int] = []
    for i in range(students):
        tg_id = STUDENT_BASE + i
        uid = await tg_user(db, campus, tg_id, f"Student{i}")
        await top_up(db, uid, WALLET_FEN, START)
        student_ids.append(uid)
        people_s.append(Student(world, tg_id, f"Student{i}", WIZARD_DORM if i % 3 == 2 else WIZARD_LIBRARY))
    people_r: list[Runner] = []
    for j in range(runners):
        tg_id = RUNNER_BASE + j
        uid = await tg_user(db, campus, tg_id, f"Runner{j}")
        async with UnitOfWork(db) as uow:
            uow.session.add(RunnerProfile(
                user_id=uid, campus_id=campus.id, status="approved", gender="female" if j % 2 else "male",
                quiz_passed=True, real_name_enc=CIPHER.encrypt("跑腿"), student_no_enc=CIPHER.encrypt(f"2024{j:04d}"),
                credit=campus.credit.initial, applied_at=START))
        people_r.append(Runner(world, tg_id, f"Runner{j}", uid))
    for k in range(open_orders):
        order_id = await make_order(db, campus, student_ids[k % len(student_ids)], START, dropoff="library")
        world.add_open(order_id)
    return people_s, people_r


async def order_counts(db: Database) -> dict[str, int]:
    async with UnitOfWork(db, write=False) as uow:
        rows = (await uow.session.execute(select(OrderRow.status, func.count()).group_by(OrderRow.status))).all()
    return {status: n for status, n in rows}


# ----------------------------------------------------------------------------------------------- report

def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(p * 10) - 1]


def line(label: str, phase: Phase, mode: str) -> str:
    fake = ""
    if mode == "process":
        fake = f"; fake server {phase.fake_requests / phase.count:.2f} req/update, its CPU {phase.fake_cpu / phase.elapsed:4.0%}"
    return (f"  {label:<15} {phase.rate:7.1f} updates/s  ({phase.count} updates in {phase.elapsed:5.2f} s)  "
            f"latency p50 {pct(phase.latencies, 50):6.1f} ms, p99 {pct(phase.latencies, 99):6.1f} ms  "
            f"[bot process CPU {phase.cpu / phase.elapsed:4.0%} = {phase.cpu / phase.count * 1000:.2f} ms/update{fake};"
            f" errors {phase.errors}]")


def profile_report(profiler: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# ----------------------------------------------------------------------------------------------- main

async def run(args: argparse.Namespace) -> int:
    campus = load_campus(ROOT / "campus" / "demo.yaml")
    server = FakeServer(args.fake)
    await server.start()
    tmp = tempfile.TemporaryDirectory()
    url = f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    t_zero = time.monotonic()
    clock = lambda: START + dt.timedelta(seconds=time.monotonic() - t_zero)
    # The per-person limit, as the bot runs it (counted for every update), but set past this bench's pace: its
    # simulated people send far faster than anyone types.
    unhindered = ThrottleConfig(inputs="1000000/minute", relays="1000000/minute")
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("telegram",),
                        throttle=Throttle(config=unhindered))
    settings = Settings(_env_file=None, data_dir=Path(tmp.name), telegram_token=server.token,
                        telegram_api_base=server.base_url)
    bot = make_bot(server)
    seen = LastKeyboard()
    bot.session.middleware(seen)
    bot.session.middleware(RecordCalls())
    dp = build_dispatcher(services, bot, settings)
    updates = Updates(server.bot_user, campus.channels.telegram_hall_chat_id or -1)
    world = World(updates, seen, random.Random(args.seed))
    watch_grabs(services, world)
    bare_bot = make_bot(server, AiohttpSession)
    bare_dp = bare_dispatcher()
    calls_bot = make_bot(server)
    keep_response_models(calls_bot)
    calls_dp = same_calls_dispatcher()
    shell_bot = make_bot(server)
    for middleware in (LastKeyboard(), RecordCalls()):  # as paotui's bot carries them, so the harness costs alike
        shell_bot.session.middleware(middleware)
    shell_dp = shell_dispatcher(services, shell_bot, settings)
    record_replies(dp)
    try:
        s0 = time.perf_counter()
        students, runners = await seed(db, campus, world, args.students, args.runners, args.open_orders)
        people: list[Person] = [*students, *runners]
        print(f"telegram bench: {args.students} students, {args.runners} runners, {args.open_orders} open orders "
              f"seeded in {time.perf_counter() - s0:.1f} s; SQLite; fake Bot API {args.fake}"
              f"{' (child process)' if args.fake == 'process' else ' (same event loop)'}, spec checking on")

        settle_garbage_collector()  # as the service does once started (main.py telegram)
        await run_people(dp, bot, people, args.warmup, Phase())
        await replay(bare_dp, bare_bot, [p.sent for p in people], updates, Phase())
        await replay_calls(calls_dp, calls_bot, people, updates, Phase())
        await replay_replies(shell_dp, shell_bot, people, updates, Phase())
        profiler = cProfile.Profile() if args.profile else None
        rounds: list[Round] = []
        for _ in range(args.rounds):  # alternating, so a noisy neighbour hits all alike
            r = Round(Phase(), Phase(), Phase(), Phase())
            if profiler:
                profiler.enable()
            await measured(server, r.paotui, run_people(dp, bot, people, args.updates, r.paotui))
            if profiler:
                profiler.disable()
            await measured(server, r.bare, replay(bare_dp, bare_bot, [p.sent for p in people], updates, r.bare))
            await measured(server, r.same, replay_calls(calls_dp, calls_bot, people, updates, r.same))
            await measured(server, r.shell, replay_replies(shell_dp, shell_bot, people, updates, r.shell))
            rounds.append(r)
        counts = await order_counts(db)
        final = await server.close()
    finally:
        for b in (bot, bare_bot, calls_bot, shell_bot):
            await b.session.close()
        await db.dispose()
        tmp.cleanup()

    kinds = sum((r.paotui.kinds for r in rounds), collections.Counter())
    total = sum(kinds.values())
    mix = ", ".join(f"{k} {v / total:.0%}" for k, v in kinds.most_common())
    print(f"  mix of the timed paotui updates: {mix}")
    grabs = world.grab_outcomes
    print(f"  grab outcomes (warm-up + timed): {dict(grabs.most_common())}; orders now by status: {counts}")
    resyncs = sum(p.resyncs for p in people)
    idle = sum(r.idle for r in runners)
    gen = sum(r.paotui.gen_time for r in rounds) / sum(r.paotui.elapsed for r in rounds)
    print(f"  script resyncs {resyncs}, runner presses with no open order {idle}; load generator {gen:.1%} of the "
          f"paotui time; Bot API spec violations {len(final['violations'])}"
          f"{': ' + '; '.join(final['violations'][:3]) if final['violations'] else ''}")
    for n, r in enumerate(rounds, 1):
        label = f"round {n}: " if len(rounds) > 1 else ""
        print(line(f"{label}paotui", r.paotui, args.fake))
        print(line(f"{label}bare", r.bare, args.fake))
        print(line(f"{label}same calls", r.same, args.fake))
        print(line(f"{label}shell", r.shell, args.fake))
    rate = statistics.median(r.paotui.rate for r in rounds)
    bare_rate = statistics.median(r.bare.rate for r in rounds)
    same_rate = statistics.median(r.same.rate for r in rounds)
    shell_rate = statistics.median(r.shell.rate for r in rounds)
    ratio = statistics.median(r.paotui.rate / r.bare.rate for r in rounds)
    ceiling = statistics.median(r.same.rate / r.bare.rate for r in rounds)
    shell_ratio = statistics.median(r.shell.rate / r.bare.rate for r in rounds)
    handle_share = statistics.median(1 - r.shell.cpu_per_update / r.paotui.cpu_per_update for r in rounds)
    if len(rounds) > 1:
        print(f"  median of {len(rounds)} rounds: paotui {rate:.1f} updates/s, bare {bare_rate:.1f} updates/s, "
              f"same calls {same_rate:.1f} updates/s, shell {shell_rate:.1f} updates/s")
    rate_ok, ratio_ok = rate >= TARGET_RATE, ratio >= TARGET_RATIO
    print(f"  paotui {rate:.1f} updates/s, bare {bare_rate:.1f} updates/s, ratio paotui/bare {ratio:.2f}")
    print(f"  same calls without database or logic {same_rate:.1f} updates/s: ratio same-calls/bare {ceiling:.2f} "
          f"(the most any bot making paotui's Bot API calls reaches), paotui/same-calls {rate / same_rate:.2f}")
    print(f"  shell (paotui with App.handle answering from the record) {shell_rate:.1f} updates/s: ratio shell/bare "
          f"{shell_ratio:.2f} (paotui's ratio if its handlers and their database work cost nothing); App.handle is "
          f"{handle_share:.0%} of paotui's CPU per update")
    print(f"  target >= {TARGET_RATE:.0f} updates/s: {'PASS' if rate_ok else 'FAIL'}   "
          f"target ratio >= {TARGET_RATIO}: {'PASS' if ratio_ok else 'FAIL'}")
    if profiler:
        print(profile_report(profiler, args.profile_top))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000, help="timed updates per bot")
    parser.add_argument("--warmup", type=int, default=400, help="updates before the timing starts")
    parser.add_argument("--students", type=int, default=48)
    parser.add_argument("--runners", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1, help="timed rounds per bot, alternating; medians count")
    parser.add_argument("--open-orders", type=int, default=None,
                        help="open orders in the hall at the start (default: enough for the run)")
    parser.add_argument("--fake", choices=("process", "inline"), default="process",
                        help="the fake Bot API in a child process (default) or in the bot's event loop")
    parser.add_argument("--seed", type=int, default=20240917)
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the timed paotui phase (main thread; py-spy gives a truer picture)")
    parser.add_argument("--profile-top", type=int, default=40)
    args = parser.parse_args()
    if args.open_orders is None:  # runners win about one order per 15 updates; students add about one per 40
        args.open_orders = max(100, (args.warmup + args.updates * args.rounds) // 15)
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
