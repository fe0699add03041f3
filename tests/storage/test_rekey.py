"""Retiring an encryption key: `rekey` puts every stored value (columns, drafts, unsent messages) under the first
key, so the old one can go; the start-up check names what the configured keys cannot open."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.sql.dml import Update

import storage.rekey as rekey
from bot.campus_file import load_campus
from handlers.context import Services
from storage.crypto import Cipher
from storage.db import Database
from storage.models import Complaint, Conversation, KeptUpdate, Outbox, RunnerProfile, User
from storage.models import Order as OrderRow
from storage.outbox import open_payload, seal
from storage.rekey import ENCRYPTED_COLUMNS, unreadable
from storage.uow import UnitOfWork
from tests.conftest import NO_ENV_FILE, FakeClock
from tests.factories import CIPHER, CIPHER_KEY, make_order, make_runner, make_user
from tests.handlers.harness import Chat, keys
from tests.handlers.test_ordering import answer_all, funded

ROOT = Path(__file__).resolve().parents[2]
PHONE, ROOM = "13800138000", "F3-502"


async def stored_under_old_key(db, campus, now) -> dict[str, int]:
    """One of everything that holds ciphertext, all written under CIPHER's key."""
    student = await make_user(db, campus, now, name="li", phone=PHONE, room=ROOM)
    runner = await make_runner(db, campus, now)
    order_id = await make_order(db, campus, student, now)
    async with UnitOfWork(db) as uow:
        order = await uow.orders.get_row(order_id)
        order.phone_enc, order.room_enc = CIPHER.encrypt(PHONE), CIPHER.encrypt(ROOM)
        order.description_enc, order.notes_enc = CIPHER.encrypt("Code 4-2-1187"), CIPHER.encrypt(f"call {PHONE}")
        order.rating_comment_enc = CIPHER.encrypt("quick")
        (await uow.session.get(RunnerProfile, runner)).card_photo_enc = CIPHER.encrypt("AgAC-card")
        uow.session.add(Complaint(order_id=order_id, user_id=student, runner_id=runner,
                                  text_enc=CIPHER.encrypt(f"call me {PHONE}"), created_at=now))
        uow.session.add(Conversation(channel="console", external_id="li", state="order.phone", updated_at=now,
                                     data={"draft": {"room_enc": CIPHER.encrypt(ROOM), "task": "parcel"},
                                           "name_enc": CIPHER.encrypt("王芳")}))
        uow.session.add(Outbox(dedupe_key="rekey-test", channel="console", recipient="rob", status="pending",
                               payload=seal(CIPHER, {"key": "notice-you-won", "text": f"Phone: {PHONE}"}),
                               next_attempt_at=now, created_at=now))
        uow.session.add(KeptUpdate(update_id=7, body_enc=CIPHER.encrypt('{"update_id": 7}'), kept_at=now))
    return {"student": student, "runner": runner, "order": order_id}


async def everything_opens_with(db, cipher: Cipher, ids: dict[str, int]) -> None:
    async with UnitOfWork(db, write=False) as uow:
        student = await uow.session.get(User, ids["student"])
        assert (cipher.decrypt(student.phone_enc), cipher.decrypt(student.room_enc)) == (PHONE, ROOM)
        profile = await uow.session.get(RunnerProfile, ids["runner"])
        assert cipher.decrypt(profile.real_name_enc) == "测试" and cipher.decrypt(profile.card_photo_enc) == "AgAC-card"
        order = await uow.session.get(OrderRow, ids["order"])
        assert (cipher.decrypt(order.phone_enc), cipher.decrypt(order.room_enc)) == (PHONE, ROOM)
        assert cipher.decrypt(order.notes_enc) == f"call {PHONE}" and cipher.decrypt(order.rating_comment_enc)
        complaint = await uow.session.scalar(select(Complaint))
        assert cipher.decrypt(complaint.text_enc) == f"call me {PHONE}"
        conv = await uow.session.get(Conversation, ("console", "li"))
        assert cipher.decrypt(conv.data["draft"]["room_enc"]) == ROOM and conv.data["draft"]["task"] == "parcel"
        assert cipher.decrypt(conv.data["name_enc"]) == "王芳"
        row = await uow.session.scalar(select(Outbox).where(Outbox.dedupe_key == "rekey-test"))
        assert open_payload(cipher, row.payload)["text"] == f"Phone: {PHONE}"
        assert cipher.decrypt((await uow.session.get(KeptUpdate, 7)).body_enc) == '{"update_id": 7}'


async def test_after_rekey_the_old_key_can_be_dropped(db, campus, clock):
    ids = await stored_under_old_key(db, campus, clock())
    new_key = Cipher.new_key()
    new_only = Cipher([new_key])
    assert set(await unreadable(db, new_only)) == {f"{m.__tablename__}.{c}" for m, c in ENCRYPTED_COLUMNS}

    report = await rekey.rekey(db, Cipher([new_key, CIPHER_KEY]))  # rotating: the new key first, the old one after
    assert report.unreadable == {}
    assert report.rewritten == {"users.phone_enc": 1, "users.room_enc": 1, "runner_profiles.real_name_enc": 1,
                                "runner_profiles.student_no_enc": 1, "runner_profiles.card_photo_enc": 1,
                                "orders.phone_enc": 1, "orders.room_enc": 1,
                                "orders.description_enc": 1, "orders.notes_enc": 1, "orders.rating_comment_enc": 1,
                                "complaints.text_enc": 1, "kept_updates.body_enc": 1, "conversations": 2, "outbox": 1}
    await everything_opens_with(db, new_only, ids)  # the old key dropped
    assert await unreadable(db, new_only) == []
    assert (await rekey.rekey(db, Cipher([new_key]))).unreadable == {}  # and it can be run again


async def test_rekey_leaves_what_no_key_opens_as_it_was_and_says_so(db, campus, clock):
    ids = await stored_under_old_key(db, campus, clock())
    report = await rekey.rekey(db, Cipher([Cipher.new_key()]))  # the old key already dropped: too late
    assert report.rewritten == {}
    assert report.unreadable["users.phone_enc"] == 1 and report.unreadable["conversations"] == 2
    await everything_opens_with(db, CIPHER, ids)  # nothing lost: the old key, found again, still opens all of it


async def test_an_empty_database_is_readable_under_any_key(db):
    assert await unreadable(db, Cipher([Cipher.new_key()])) == []


def cli(tmp_path: Path, command: str, keys: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), command], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120,
                          stdin=subprocess.DEVNULL,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATA_DIR": str(tmp_path),
                               "ENCRYPTION_KEYS": keys, **NO_ENV_FILE})


def test_the_service_refuses_to_start_on_data_its_keys_cannot_open_until_rekeyed(tmp_path):
    old, new = CIPHER_KEY, Cipher.new_key()
    assert cli(tmp_path, "migrate", old).returncode == 0
    campus = load_campus(ROOT / "campus" / "demo.yaml")

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'paotui.db'}")
        await make_user(db, campus, FakeClock()(), name="li", phone=PHONE)
        await db.dispose()

    asyncio.run(seed())
    refused = cli(tmp_path, "run", new)  # the old key dropped without rekey
    assert refused.returncode == 2
    assert "cannot start" in refused.stderr and "users.phone_enc" in refused.stderr and "rekey" in refused.stderr
    done = cli(tmp_path, "rekey", f"{new},{old}")
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 1 values in users.phone_enc" in done.stdout
    assert cli(tmp_path, "rekey", new).returncode == 0  # the old key is no longer needed



async def lock_waits(db) -> int:
    """Backends of this database waiting for a row lock now."""
    async with UnitOfWork(db, write=False) as uow:
        return await uow.session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                             "AND datname = current_database()"))


@pytest.mark.parametrize("db", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
async def test_a_student_answering_while_rekey_runs_keeps_the_answer(db, request, campus, clock, monkeypatch):
    # Before, rekey wrote back the conversation it had read: an answer given in between was undone (the state moved
    # on, the answer was gone).
    services = Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",))
    chat = Chat(services)
    await funded(chat, services, "alice", 0)
    await chat.send("alice", "/order")
    assert keys(await answer_all(chat, "alice", ["Parcel pickup", "快递站", "F3", "3-502"]))[-1] == "order-ask-floor"
    service, watcher = (Database(request.getfixturevalue("postgres_url")) for _ in range(2))  # another process
    live = Chat(Services(db=service, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",)))
    real_uow, answering = rekey.UnitOfWork, []

    class AnsweredMeanwhile(real_uow):
        """rekey's transactions, the student answering between its read of the conversations and its write."""

        async def __aenter__(self):
            uow = await super().__aenter__()
            execute = uow.session.execute

            async def racing(statement, *args, **kwargs):
                if isinstance(statement, Update) and statement.table.name == "conversations" and not answering:
                    answering.append(asyncio.create_task(live.send("alice", "5")))
                    # Until the answer is in, or waits for the row rekey holds.
                    while not answering[0].done() and not await lock_waits(watcher):
                        await asyncio.sleep(0.01)
                return await execute(statement, *args, **kwargs)

            uow.session.execute = racing
            return uow

    monkeypatch.setattr(rekey, "UnitOfWork", AnsweredMeanwhile)
    try:
        await rekey.rekey(db, Cipher([Cipher.new_key(), CIPHER_KEY]))
        assert keys(await answering[0])[-1] == "order-ask-phone"
    finally:
        await service.dispose()
        await watcher.dispose()
    async with UnitOfWork(db, write=False) as uow:
        conv = await uow.session.get(Conversation, ("console", "alice"))
    assert (conv.state, conv.data.get("floor")) == ("order.phone", 5)
