"""Chats that moved to a new id: kept for every process, and the messages waiting for the old id go to the new one."""
from sqlalchemy import select, update

from storage.chat_moves import REFRESH, ChatMoves
from storage.models import Outbox
from storage.outbox import queue
from storage.uow import UnitOfWork


async def waiting(db, clock, channel: str, recipient: str, n: int) -> None:
    async with UnitOfWork(db) as uow:
        await queue(uow.session, dedupe_key=f"t:{channel}:{recipient}:{n}", channel=channel, recipient=recipient,
                    payload={"text": str(n)}, now=clock(), due=clock() + REFRESH)


async def recipients(db) -> list[tuple[str, str, str]]:
    async with UnitOfWork(db, write=False) as uow:
        found = await uow.session.execute(select(Outbox.channel, Outbox.recipient, Outbox.status).order_by(Outbox.id))
        return [tuple(r) for r in found.all()]  # type: ignore[misc]


async def test_a_move_redirects_the_waiting_messages_and_every_process_finds_it(db, clock):
    await waiting(db, clock, "telegram", "-4001", 1)
    await waiting(db, clock, "telegram", "-4002", 2)  # another chat
    await waiting(db, clock, "console", "-4001", 3)  # another channel
    here, elsewhere = ChatMoves(), ChatMoves()
    await elsewhere.refresh(db, clock())

    assert await here.record(db, "telegram", "-4001", "-1004001", clock()) == 1
    assert await recipients(db) == [("telegram", "-1004001", "pending"), ("telegram", "-4002", "pending"),
                                    ("console", "-4001", "pending")]
    async with UnitOfWork(db, write=False) as uow:
        due = (await uow.session.execute(select(Outbox.next_attempt_at).order_by(Outbox.id))).scalars().first()
    assert due == clock()  # nothing to wait for in the new chat
    assert here.resolve("telegram", "-4001") == "-1004001" and here.resolve("console", "-4001") == "-4001"

    assert elsewhere.resolve("telegram", "-4001") == "-4001"  # read a moment ago: not again yet
    await elsewhere.refresh(db, clock())
    assert elsewhere.resolve("telegram", "-4001") == "-4001"
    clock.advance(seconds=REFRESH.total_seconds())
    await elsewhere.refresh(db, clock())
    assert elsewhere.resolve("telegram", "-4001") == "-1004001"

    await waiting(db, clock, "telegram", "-4001", 4)  # written by a process that had not read it yet
    assert await elsewhere.redirect(db, "telegram", "-4001", clock()) == 1
    assert await here.record(db, "telegram", "-4001", "-1004001", clock()) == 0  # again: nothing changes
    assert [r for r in await recipients(db) if r[1] == "-4001"] == [("console", "-4001", "pending")]


async def test_moves_are_followed_but_not_round_in_circles(db, clock):
    moves = ChatMoves()
    await moves.record(db, "telegram", "-1", "-2", clock())
    await moves.record(db, "telegram", "-2", "-3", clock())
    assert moves.resolve("telegram", "-1") == "-3"
    await moves.record(db, "telegram", "-3", "-1", clock())
    assert moves.resolve("telegram", "-1") in {"-1", "-2", "-3"}  # ends


async def test_the_messages_shown_before_a_move_are_the_new_chats_and_stay_where_they_were_shown(db, clock):
    await waiting(db, clock, "telegram", "-4001", 1)
    async with UnitOfWork(db) as uow:  # a post shown in the group before it moved, and one that failed there
        await queue(uow.session, dedupe_key="t:shown", channel="telegram", recipient="-4001", payload={"text": "p"},
                    now=clock(), edit_key="hall:7")
        await queue(uow.session, dedupe_key="t:failed", channel="telegram", recipient="-4001", payload={"text": "f"},
                    now=clock())
        await uow.session.execute(update(Outbox).where(Outbox.dedupe_key == "t:shown")
                                  .values(status="sent", sent_ref="-4001:5"))
        await uow.session.execute(update(Outbox).where(Outbox.dedupe_key == "t:failed").values(status="failed"))
    moves = ChatMoves()
    assert await moves.record(db, "telegram", "-4001", "-1004001", clock()) == 1  # one was waiting
    async with UnitOfWork(db, write=False) as uow:
        found = (await uow.session.execute(
            select(Outbox.recipient, Outbox.status, Outbox.sent_ref).order_by(Outbox.id))).all()
    # The post is the new chat's (its later edits find it there), still shown in the old group's message 5.
    assert [tuple(r) for r in found] == [("-1004001", "pending", None), ("-1004001", "sent", "-4001:5"),
                                         ("-4001", "failed", None)]
    assert moves.origin("telegram", "-1004001") == "-4001" == moves.origin("telegram", "-4001")
    assert moves.origin("telegram", "-4002") == "-4002"
