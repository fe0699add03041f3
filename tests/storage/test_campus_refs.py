"""A campus file edited under orders under way: the service refuses to start while an order still uses a campus or
building taken out, rather than failing that order's every timer (its money stuck in escrow) and grab."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bot.campus_file import load_campus
from core.order import Actor, Event, Role
from handlers.context import Services
from storage.campus_refs import missing_references
from storage.db import Database
from storage.models import CreditRecord, RunnerProfile
from storage.uow import UnitOfWork
from tests.conftest import NO_ENV_FILE, FakeClock
from tests.factories import CIPHER, CIPHER_KEY, act, make_order, make_runner, make_user
from tests.handlers.harness import Chat

ROOT = Path(__file__).resolve().parents[2]


def without(campus, building_id: str):
    return campus.model_copy(update={"buildings": tuple(b for b in campus.buildings if b.id != building_id)})


async def test_orders_under_way_name_what_the_campus_files_no_longer_have(db, campus, clock):
    alice = await make_user(db, campus, clock.now)
    rob = await make_runner(db, campus, clock.now)
    waiting = await make_order(db, campus, alice, clock.now, pickup="coffee")
    delivered = await make_order(db, campus, alice, clock.now, pickup="coffee")
    for event in (Event.accept, Event.pickup, Event.deliver):
        await act(db, campus, delivered, event, Actor(Role.runner, rob), clock.now)
    done = await make_order(db, campus, alice, clock.now, pickup="coffee")
    await act(db, campus, done, Event.cancel, Actor(Role.customer, alice), clock.now)

    assert await missing_references(db, [campus]) == {}
    assert await missing_references(db, [without(campus, "coffee")]) == {"demo: coffee": [waiting, delivered]}
    assert await missing_references(db, []) == {"demo": [waiting, delivered]}


async def test_a_finished_orders_card_names_a_building_taken_out_since_by_its_id(db, campus, clock):
    alice = await make_user(db, campus, clock.now, name="alice")
    done = await make_order(db, campus, alice, clock.now, pickup="coffee")
    await act(db, campus, done, Event.cancel, Actor(Role.customer, alice), clock.now)
    edited = without(campus, "coffee")
    services = Services(db=db, campuses={edited.id: edited}, cipher=CIPHER, clock=clock, channels=("console",))
    (card,) = await Chat(services).send("alice", f"/track {done}")
    assert "coffee" in card.text and card.key == "track-card"


def test_the_service_refuses_to_start_while_an_order_under_way_uses_a_building_taken_out(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATA_DIR": str(tmp_path), "ENCRYPTION_KEYS": CIPHER_KEY,
           **NO_ENV_FILE}

    def cli(command: str, campus_file: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "main.py"), command], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL,
                              env={**env, "CAMPUS_FILES": str(campus_file)})

    demo = ROOT / "campus" / "demo.yaml"
    assert cli("migrate", demo).returncode == 0
    campus = load_campus(demo)

    async def seed() -> int:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'paotui.db'}")
        try:
            return await make_order(db, campus, await make_user(db, campus, FakeClock()()), FakeClock()(),
                                    pickup="coffee")
        finally:
            await db.dispose()

    order_id = asyncio.run(seed())
    edited = tmp_path / "demo.yaml"
    edited.write_text("\n".join(line for line in demo.read_text(encoding="utf-8").splitlines()
                                if "id: coffee," not in line), encoding="utf-8")
    for command in ("run", "console"):  # console opened the database with no check (and failed on the order)
        refused = cli(command, edited)
        assert refused.returncode == 2
        assert refused.stderr.strip().splitlines()[-1] == (
            f"paotui cannot start: the campus files no longer have what orders under way use: demo: coffee (order "
            f"#{order_id}). Put it back until those orders end (or an operator cancels them), then take it out.")


async def test_a_completed_order_is_not_recorded_as_a_credit_loss_after_the_maximum_was_lowered(db, campus, clock):
    alice = await make_user(db, campus, clock.now, name="alice")
    rob = await make_runner(db, campus, clock.now, credit=140)
    order_id = await make_order(db, campus, alice, clock.now)
    lowered = campus.model_copy(update={"credit": campus.credit.model_copy(update={"maximum": 100})})
    for event, actor in ((Event.accept, Actor(Role.runner, rob)), (Event.pickup, Actor(Role.runner, rob)),
                         (Event.deliver, Actor(Role.runner, rob)), (Event.confirm, Actor(Role.customer, alice))):
        await act(db, lowered, order_id, event, actor, clock.now)
    async with UnitOfWork(db, write=False) as uow:
        records = [(r.event, r.change) for r in await uow.session.scalars(
            select(CreditRecord).where(CreditRecord.runner_id == rob).order_by(CreditRecord.id))]
        score = (await uow.session.get(RunnerProfile, rob)).credit
    assert records == [("completed", 0), ("on_time", 0)] and score == 140


async def test_a_draft_whose_place_left_the_campus_file_says_so(db, campus, clock):
    from tests.handlers.test_ordering import PARCEL_TO_MY_ROOM, answer_all, funded
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",))
    chat = Chat(services)
    await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", PARCEL_TO_MY_ROOM)
    services.campuses[campus.id] = without(campus, "dorm_f3")  # restarted on the edited file
    (said,) = await chat.send("alice", "Confirm")
    assert said.text == ("A place of this errand (dorm_f3) is no longer on the campus map. Please start the errand "
                         "again with /order.")
