"""The student's phone and room after the grab: sealed in the outbox (yet the runner reads them), and taken out of the
runner's details message once the runner's part in the order ends."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, text, update

from core.campus import Gender
from core.order import Actor, Event, Role, transition
from handlers.notify import Notifier
from locales import catalogue
from storage import cards, outbox
from storage.models import Order as OrderRow
from storage.models import Outbox
from storage.orders_repo import to_domain
from storage.outbox import SEALED
from storage.transitions import apply_transition
from storage.uow import UnitOfWork
from tests.conftest import TABLES
from tests.factories import CIPHER
from tests.handlers.harness import keys
from tests.handlers.test_ordering import (
    PARCEL_TO_MY_ROOM,
    answer_all,
    funded,
    orders_of,
)
from tests.handlers.test_runner import (
    PHONE,
    ROOM,
    act_notified,
    order_row,
    paid_order,
    person,
    runner,
)

EN = catalogue("en")
HALL = "hall:demo"
PICKUP_CODE = "pickup code 4-2-1187"
NOTES = "Call my roommate Wang Fang 13912345678"


async def tables_with(db, *needles: str) -> list[str]:
    """The tables in which any of these strings is stored in clear (of those the database's revision has)."""
    found = []
    present = set(await db.run_sync(lambda conn: inspect(conn).get_table_names()))
    async with UnitOfWork(db, write=False) as uow:
        for table in (t for t in TABLES if t in present):
            for row in (await uow.session.execute(text(f"SELECT * FROM {table}"))).all():
                dumped = " ".join(str(v) for v in row)
                if any(n in dumped for n in needles):
                    found.append(table)
                    break
    return found


async def test_a_whole_order_keeps_phone_and_room_out_of_every_table_yet_the_runner_reads_them(
        chat, services, db, campus, clock):
    alice = await funded(chat, services, "alice", 5000)
    await runner(db, campus, clock(), "rob", gender=Gender.female)  # to the door of a women's dorm room
    await chat.send("alice", "/order")
    await answer_all(chat, "alice", [*PARCEL_TO_MY_ROOM, "Confirm"])
    assert keys(await chat.press("alice", "Pay with wallet")) == ["wallet-paid"]
    (order,) = await orders_of(services, alice)
    contact = ("3-502", "13800138000")  # as PARCEL_TO_MY_ROOM typed them (the phone without its spaces)

    assert keys(await chat.press("rob", f"data:g:{order.id}", chat=HALL)) == ["grab-won"]
    assert await tables_with(db, *contact) == []  # the details notice is queued: sealed
    (details,) = await chat.inbox("rob")  # opened, as the channel delivers it
    assert EN("order-card-room", room="3-502") in details["text"]
    assert EN("order-card-phone", phone="13800138000") in details["text"]
    assert f"o:{order.id}:pickup" in [c["data"] for line in details["choices"] for c in line]

    await chat.press("rob", f"data:o:{order.id}:pickup")
    await chat.press("rob", f"data:o:{order.id}:deliver")
    await chat.press("alice", f"data:o:{order.id}:confirm")
    assert (await order_row(db, order.id)).status == "completed"
    for who in ("alice", "rob", HALL):
        await chat.inbox(who)
    assert await tables_with(db, *contact) == []


async def _grabbed(chat, services, db, campus, clock) -> tuple[int, int, int, dict]:
    """alice's paid order (with phone and room) grabbed by rob; (alice, rob, order, rob's details message)."""
    alice = await person(db, campus, clock(), "alice")
    rob = await runner(db, campus, clock(), "rob")
    order_id = await paid_order(services, alice)
    async with UnitOfWork(db) as uow:  # what she wrote for the runner, encrypted as the order form stores it
        await uow.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(
            description_enc=CIPHER.encrypt(PICKUP_CODE), notes_enc=CIPHER.encrypt(NOTES)))
    assert keys(await chat.press("rob", f"data:g:{order_id}", chat=HALL)) == ["grab-won"]
    (details,) = await chat.inbox("rob")
    assert PHONE in details["text"] and ROOM in details["text"]
    assert PICKUP_CODE in details["text"] and NOTES in details["text"]  # while it is his: he needs them
    assert details["edit_key"]
    return alice, rob, order_id, details


def runner_events(alice: int, rob: int) -> dict[str, list[tuple[Event, Actor]]]:
    student, carrier, operator = Actor(Role.customer, alice), Actor(Role.runner, rob), Actor(Role.operator, 999)
    return {
        "completed": [(Event.pickup, carrier), (Event.deliver, carrier), (Event.confirm, student)],
        "cancelled by the student": [(Event.cancel, student)],
        "cancelled by an operator": [(Event.pickup, carrier), (Event.operator_cancel, operator)],
        "released": [(Event.release, carrier)],
        "refunded": [(Event.report, student), (Event.resolve_refund, operator)],
    }


@pytest.mark.parametrize("ending", ["completed", "cancelled by the student", "cancelled by an operator", "released",
                                    "refunded"])
async def test_when_the_runners_part_ends_the_details_message_loses_phone_and_room(
        chat, services, db, campus, clock, ending):
    alice, rob, order_id, details = await _grabbed(chat, services, db, campus, clock)
    *before, last = runner_events(alice, rob)[ending]
    for event, actor in before:  # picked up, delivered, reported: still the runner's to carry
        await act_notified(services, order_id, event, actor)
    # Brought up to date on the way (its status, deadline, buttons), the contact still there: the order is his.
    assert all(PHONE in m["text"] and ROOM in m["text"]
               for m in await chat.inbox("rob") if m["edit_key"] == details["edit_key"])

    await act_notified(services, order_id, *last)
    edits = [m for m in await chat.inbox("rob") if m["edit_key"] == details["edit_key"]]
    assert len(edits) == 1
    (edited,) = edits
    assert PHONE not in edited["text"] and ROOM not in edited["text"]
    # Nor what she wrote (before, the parcel's pickup code and her roommate's phone stayed in his chat for good).
    assert PICKUP_CODE not in edited["text"] and NOTES not in edited["text"]
    (card,) = await chat.send("rob", f"/track {order_id}")
    assert PICKUP_CODE not in card.text and NOTES not in card.text
    assert edited["text"].startswith(EN("notice-details-ended", order=str(order_id)))
    assert f"#{order_id}" in edited["text"].split("\n")[1]  # still says which order it was
    assert edited["choices"] == []  # the trip's buttons go with the contact


@pytest.mark.parametrize("ending", ["completed", "cancelled by the student", "cancelled by an operator", "released",
                                    "refunded", "reassigned"])
async def test_when_the_runners_part_ends_their_order_card_loses_what_the_student_wrote(
        chat, services, db, campus, clock, ending):
    # Before, the card /track N (or Open from /orders) showed kept the pickup code and the notes for good: a runner
    # who gave a parcel order back could still collect it.
    alice, rob, order_id, _details = await _grabbed(chat, services, db, campus, clock)
    (card,) = await chat.send("rob", f"/track {order_id}")
    assert PICKUP_CODE in card.text and NOTES in card.text  # while it is his: he needs the code at the pickup point
    assert card.card == cards.runner_item(order_id, rob)
    async with UnitOfWork(db) as uow:  # the message showing it, as a channel that can edit records it
        await cards.shown(uow.session, chat.channel, "rob", card.card, "7", clock())
    events = {**runner_events(alice, rob), "reassigned": [
        (Event.reassign, Actor(Role.operator, 999), await runner(db, campus, clock(), "sam"))]}[ending]
    for event, actor, *others in events:
        async with UnitOfWork(db) as uow:  # as the handlers make it, the runner an operator names too
            row = await uow.orders.get_row(order_id)
            t = transition(campus, to_domain(row), event, actor, clock(), runner_id=others[0] if others else None)
            await apply_transition(uow, campus, t, clock())
            await Notifier(services, uow, clock(), origin=f"test-{event.value}").transition(campus, t)

    edits = [m for m in await chat.inbox("rob") if m["edit_key"] == cards.card_key(card.card, "m7")]
    # That very message, edited once the part ended (and before, brought up to date as the order moved on).
    *refreshed, edited = edits
    assert [m["key"] for m in refreshed] == ["track-card"] * len(refreshed)
    assert edited["text"].startswith(EN("notice-details-ended", order=str(order_id)))
    assert PICKUP_CODE not in edited["text"] and NOTES not in edited["text"]
    assert PHONE not in edited["text"] and ROOM not in edited["text"]
    assert edited["choices"] == []  # Picked up, Release and the chat no longer mean anything


async def tracked(chat, db, clock, rob_name: str, order_id: int, message: int):
    """rob's /track card of the order, recorded as shown in message `message` (as a channel that can edit does)."""
    (card,) = await chat.send(rob_name, f"/track {order_id}")
    async with UnitOfWork(db) as uow:
        await cards.shown(uow.session, chat.channel, rob_name, card.card, str(message), clock())
    return card


def data_of(message: dict) -> list[str]:
    return [c["data"] for line in message["choices"] for c in line]


async def test_however_often_the_runner_asks_for_the_card_none_keeps_the_pickup_code_once_the_part_ends(
        chat, services, db, campus, clock):
    """Before, the end of the runner's part edited only the newest 100 cards: after 120 /track presses the oldest 20
    kept the pickup code. Now each new card retires the older ones past the newest few (they say a newer one is
    below, and show nothing of the order), and the end edits those few."""
    _alice, rob, order_id, _details = await _grabbed(chat, services, db, campus, clock)
    item = cards.runner_item(order_id, rob)
    for i in range(120):
        card = await tracked(chat, db, clock, "rob", order_id, 1000 + i)
        assert PICKUP_CODE in card.text  # the newest always shows it: it is his to collect
    before_the_end = {m["edit_key"]: m for m in await chat.inbox("rob")}
    await act_notified(services, order_id, Event.release, Actor(Role.runner, rob))
    ended = {m["edit_key"]: m for m in await chat.inbox("rob") if (m["edit_key"] or "").startswith("card:")}
    final = {**before_the_end, **ended}  # what each message shows in the end
    assert set(final) == {cards.card_key(item, f"m{1000 + i}") for i in range(120)}
    assert not [key for key, m in final.items() if PICKUP_CODE in m["text"] or NOTES in m["text"]]

    # All but the newest few were retired as newer ones came, each edited once; the end edited only those few.
    assert len(ended) == cards.RUNNER_LIVE and not set(ended) & set(before_the_end)
    stub = EN("track-card-retired", order=str(order_id))
    assert all(m["text"] == stub and m["choices"] == [] for m in before_the_end.values())


async def test_a_runners_earlier_cards_follow_the_order_while_it_is_theirs(chat, services, db, campus, clock):
    """Before, after Picked up (or Delivered) a /track card shown earlier still offered Picked up and Release (or
    Delivered), which were only refused, and said the order was on its way to the pickup: only the details message
    was brought up to date."""
    _alice, rob, order_id, details = await _grabbed(chat, services, db, campus, clock)
    first = await tracked(chat, db, clock, "rob", order_id, 7)
    await tracked(chat, db, clock, "rob", order_id, 8)
    assert {f"o:{order_id}:pickup:card", f"o:{order_id}:release"} <= {c.data for c in first.flat_choices()}
    keys_ = {cards.card_key(first.card, "m7"), cards.card_key(first.card, "m8")}

    await chat.press("rob", f"data:o:{order_id}:pickup")  # from the details message
    picked = [m for m in await chat.inbox("rob") if m["edit_key"] in keys_]
    assert {m["edit_key"] for m in picked} == keys_
    (fresh,) = await chat.send("rob", f"/track {order_id}")  # as /track draws it now
    for m in picked:
        assert m["key"] == "track-card" and m["text"] == fresh.text
        assert data_of(m) == [c.data for c in fresh.flat_choices()]
        assert f"o:{order_id}:deliver" in data_of(m) and f"o:{order_id}:release" not in data_of(m)
        assert PICKUP_CODE in m["text"]  # still his to carry

    assert keys(await chat.send("rob", f"/delivered {order_id}"))[0] == "runner-delivered"  # by command
    delivered = [m for m in await chat.inbox("rob") if m["edit_key"] in keys_]
    assert {m["edit_key"] for m in delivered} == keys_
    assert all(f"o:{order_id}:deliver" not in data_of(m) for m in delivered)
    assert all(f" · {EN('status', status='delivered')}" in m["text"] for m in delivered)


async def test_a_retired_card_is_not_brought_back_when_the_order_moves_on(chat, services, db, campus, clock):
    _alice, rob, order_id, _details = await _grabbed(chat, services, db, campus, clock)
    item = cards.runner_item(order_id, rob)
    for message in range(cards.RUNNER_LIVE + 1):
        await tracked(chat, db, clock, "rob", order_id, message)
    (retired,) = await chat.inbox("rob")
    assert retired["edit_key"] == cards.card_key(item, "m0") and PICKUP_CODE not in retired["text"]
    await chat.press("rob", f"data:o:{order_id}:pickup")
    refreshed = {m["edit_key"] for m in await chat.inbox("rob") if (m["edit_key"] or "").startswith("card:")}
    assert refreshed == {cards.card_key(item, f"m{n}") for n in range(1, cards.RUNNER_LIVE + 1)}


async def test_picked_up_under_a_retired_card_shows_a_new_card_and_none_keeps_the_pickup_code(
        chat, services, db, campus, clock):
    """Before, Picked up pressed under a retired card drew it in full again, pickup code and all, while it stayed
    retired: the end of the runner's part left it as it was. Now a new card is shown instead, which the end edits."""
    alice, rob, order_id, _details = await _grabbed(chat, services, db, campus, clock)
    item = cards.runner_item(order_id, rob)
    final = {}  # what each message of rob's shows, by its key
    for message in range(cards.RUNNER_LIVE + 1):
        card = await tracked(chat, db, clock, "rob", order_id, message)
        final[cards.card_key(item, f"m{message}")] = card.text
    final.update({m["edit_key"]: m["text"] for m in await chat.inbox("rob")})
    assert PICKUP_CODE not in final[cards.card_key(item, "m0")]  # retired

    replies = await chat.press("rob", f"data:o:{order_id}:pickup:card", message="0")
    (card,) = [r for r in replies if r.card == item]
    assert PICKUP_CODE in card.text  # he still needs the code
    shown_in = "0" if card.edit else str(cards.RUNNER_LIVE + 1)  # a new card: message 6
    async with UnitOfWork(db) as uow:  # as a channel that can edit records it
        await cards.shown(uow.session, chat.channel, "rob", card.card, shown_in, clock())
    final[cards.card_key(item, f"m{shown_in}")] = card.text
    final.update({m["edit_key"]: m["text"] for m in await chat.inbox("rob")})

    await act_notified(services, order_id, Event.deliver, Actor(Role.runner, rob))
    await act_notified(services, order_id, Event.confirm, Actor(Role.customer, alice))
    final.update({m["edit_key"]: m["text"] for m in await chat.inbox("rob") if m["edit_key"] in final})
    assert [key for key, text in final.items() if PICKUP_CODE in text] == []
    assert not card.edit  # the retired message still says a newer card is below


async def test_a_runner_who_wins_the_order_again_has_only_the_cards_of_this_time_edited(
        chat, services, db, campus, clock):
    _alice, rob, order_id, _details = await _grabbed(chat, services, db, campus, clock)
    first = cards.card_key(cards.runner_item(order_id, rob), "m7")
    for message in ("7", "8"):
        (card,) = await chat.send("rob", f"/track {order_id}")
        async with UnitOfWork(db) as uow:
            await cards.shown(uow.session, chat.channel, "rob", card.card, message, clock())
        await act_notified(services, order_id, Event.release, Actor(Role.runner, rob))
        edited = {m["edit_key"] for m in await chat.inbox("rob") if m["edit_key"] and m["edit_key"].startswith("card:")}
        # The first card is edited when the first part ends, not again at the end of the second.
        assert edited == {first if message == "7" else cards.card_key(card.card, "m8")}
        clock.advance(minutes=2)
        assert keys(await chat.press("rob", f"data:g:{order_id}", chat=HALL)) == ["grab-won"]


async def test_a_runners_order_card_is_kept_in_the_outbox_while_the_order_is_active(chat, services, db, campus, clock):
    """What edits the card at the end of the runner's part must outlive the outbox's retention while the order lasts
    (a scheduled errand, one under review), as the details message's does."""
    _alice, rob, order_id, _details = await _grabbed(chat, services, db, campus, clock)
    (card,) = await chat.send("rob", f"/track {order_id}")
    async with UnitOfWork(db) as uow:
        await cards.shown(uow.session, chat.channel, "rob", card.card, "7", clock())
    await outbox.prune(db, clock() + dt.timedelta(days=30))
    async with UnitOfWork(db, write=False) as uow:
        kept = list(await uow.session.scalars(select(Outbox.edit_key).where(Outbox.recipient == "rob")))
    assert cards.card_key(card.card, "m7") in kept


async def test_a_reassigned_runner_loses_the_contact_and_the_new_one_gets_it(chat, services, db, campus, clock):
    _alice, _rob, order_id, details = await _grabbed(chat, services, db, campus, clock)
    sam = await runner(db, campus, clock(), "sam")
    async with UnitOfWork(db) as uow:  # as /reassign does it (handlers/admin.py)
        row = await uow.orders.get_row(order_id)
        t = transition(campus, to_domain(row), Event.reassign, Actor(Role.operator, 999), clock(), runner_id=sam)
        await apply_transition(uow, campus, t, clock())
        await Notifier(services, uow, clock(), origin="test-reassign").transition(campus, t)
    (edited,) = [m for m in await chat.inbox("rob") if m["edit_key"] == details["edit_key"]]
    assert PHONE not in edited["text"] and ROOM not in edited["text"]
    assert PICKUP_CODE not in edited["text"] and NOTES not in edited["text"]
    (new,) = [m for m in await chat.inbox("sam") if m["key"] == "notice-you-won"]
    assert PHONE in new["text"] and ROOM in new["text"] and NOTES in new["text"]


async def test_a_runner_who_wins_the_order_again_gets_a_new_details_message(chat, services, db, campus, clock):
    _alice, rob, order_id, details = await _grabbed(chat, services, db, campus, clock)
    await act_notified(services, order_id, Event.release, Actor(Role.runner, rob))
    await chat.inbox("rob")
    clock.advance(minutes=2)
    assert keys(await chat.press("rob", f"data:g:{order_id}", chat=HALL)) == ["grab-won"]
    (again,) = [m for m in await chat.inbox("rob") if m["key"] == "notice-you-won"]
    assert PHONE in again["text"]
    assert again["edit_key"] != details["edit_key"]  # not an edit of the old, redacted message far up the chat


async def test_messages_to_people_are_sealed_and_the_halls_hold_no_contact(chat, services, db, campus, clock):
    await _grabbed(chat, services, db, campus, clock)
    async with UnitOfWork(db, write=False) as uow:
        private = list(await uow.session.scalars(select(Outbox).where(Outbox.recipient.in_(["alice", "rob"]))))
        hall = list(await uow.session.scalars(select(Outbox).where(Outbox.recipient == HALL)))
    # Only the token and what a sender routes by: no key, text, buttons or photo in clear.
    assert private and all(set(r.payload) <= {SEALED, "edit_key"} and r.payload[SEALED] for r in private)
    assert hall and all("text" in r.payload for r in hall)  # the hall's cards stay plain: they hold no contact
    assert all(PHONE not in r.payload["text"] and ROOM not in r.payload["text"] for r in hall)


async def test_what_the_student_types_for_the_runner_is_never_stored_in_clear(chat, services, db, campus, clock):
    # Before, the description (a parcel's pickup code) and the notes (a phone, a name) sat in clear in the draft and
    # then in the order.
    await funded(chat, services, "alice", 5000)
    await chat.send("alice", "/order")
    answers = list(PARCEL_TO_MY_ROOM)
    answers[answers.index("Please hurry")] = "Call my roommate Wang Fang 13912345678"
    await answer_all(chat, "alice", answers)
    assert await tables_with(db, "13912345678", "4-2-1187", "Wang Fang") == []  # the draft
    await chat.send("alice", "Confirm")
    assert await tables_with(db, "13912345678", "4-2-1187", "Wang Fang") == []  # the order
