"""Messages to other people (a runner, the task hall, operators), written to the outbox in the same transaction
as the change that caused them, each in its recipient's language; and, the same way, requests to refresh the
command menu of someone whose role or language changed."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from core.campus import Campus
from core.errors import DomainError
from core.money import format_yuan
from core.order import ACTIVE_FOR_RUNNER, FINAL, Notice, Transition
from handlers.io import Input
from locales import Catalogue, catalogue
from storage import cards
from storage.dedupe import first_time_in
from storage.lookups import ADDRESS_AND_LANGUAGE_BY_ID, LANGUAGE_AND_OPERATOR_BY_ADDRESS
from storage.models import Order as OrderRow
from storage.outbox import order_of, queue, seal
from storage.sql import run_core

if TYPE_CHECKING:
    from handlers.context import Services
    from storage.uow import UnitOfWork

MONEY_ARGS = frozenset({"amount", "refund", "fee", "balance", "price", "share", "total", "spent", "goods", "change",
                        "extra", "coupon_fee"})
# Why a channel gave up on a message, as its adapter tells report_undelivered (worded in notice-undelivered); any
# other reason is shown with the platform's own description.
UNDELIVERED_REASONS = frozenset({"blocked", "deactivated", "not-started", "kicked", "chat-gone", "no-rights",
                                 "too-long", "bad-request", "outage"})
# An argument only words can give, worded in each recipient's own language when their message is written (the
# service hours): a notice's other arguments are neutral data (amounts, names), which its message formats.
Worded = Callable[[Catalogue], str]
# A button for someone else: (label key, data, label args).
Button = tuple[str, str, dict[str, Any]]
# Renderers for notices that need more than a catalogue line (the hall card, the winner's details).
NoticeRenderer = Callable[["Notifier", Campus, OrderRow, Notice], Awaitable[None]]
NOTICE_RENDERERS: dict[str, NoticeRenderer] = {}
MENU = "menu"  # the payload kind of a command-menu refresh: no text, nothing to show the person
# The renderer that edits a runner's details message (the student's phone and room, handlers/hall.py) to a version
# without them, once the runner's part in the order ends; Notifier.transition calls it, whatever the transition.
DETAILS_ENDED = "details-ended"
# The one that edits it to the order as it is now while it stays theirs (picked up, delivered, on hold): its status,
# the deadline that applies and the buttons that still mean something.
DETAILS_REFRESHED = "details-refreshed"
# The one that edits the order cards the runner asked for while it is theirs (handlers/tracking.py), to the order as
# it is now, whenever a transition leaves it theirs: none keeps a status, deadline or button that no longer holds.
CARDS_REFRESHED = "cards-refreshed"
# What a runner's credit changing by a transition (a pickup timeout, a completion) owes: the offers their new score no
# longer lets them accept go to the hall (handlers/hall.py).
CREDIT_CHANGED = "credit-changed"
# What a former operator's copy of an operators' card says once the item is decided: not the decision, nor the card.
CARD_WITHDRAWN = "admin-card-withdrawn"


def is_menu(payload: dict[str, Any]) -> bool:
    return payload.get("kind") == MENU


def money_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: format_yuan(v) if k in MONEY_ARGS and isinstance(v, int) else v for k, v in args.items()}


def worded_args(t: Catalogue, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments with those only words can give (Worded) worded in t's language."""
    return {k: v(t) if callable(v) else v for k, v in args.items()}


def plain_args(exc: DomainError) -> dict[str, str | int]:
    """The arguments of a refusal that its message can show: plain texts and numbers."""
    return {k: v for k, v in exc.args_.items() if isinstance(v, (str, int))}


class Notifier:
    def __init__(self, services: "Services", uow: "UnitOfWork", now: dt.datetime, origin: str) -> None:
        self.services = services
        self.uow = uow
        self.now = now
        self.origin = origin
        self._seq = itertools.count(1)
        # Cards (their edit keys) the input's own reply edits in place (a /track card whose Picked up was pressed):
        # bringing the others up to date leaves them alone.
        self.edited_here: set[str] = set()

    async def _write(self, channel: str, recipient: str, payload: dict[str, Any]) -> None:
        await queue(self.uow.session, dedupe_key=f"{self.origin}:{next(self._seq)}", channel=channel,
                    recipient=recipient, payload=payload, now=self.now, edit_key=payload.get("edit_key"))

    @staticmethod
    def _payload(language: str, key: str, args: dict[str, Any], buttons: list[list[Button]] | None,
                 text: str | None, edit_key: str | None) -> dict[str, Any]:
        t = catalogue(language)
        return {
            "key": key,
            "text": text if text is not None else t(key, **money_args(worded_args(t, args))),
            "choices": [[{"label": t(lk, **money_args(la)), "data": d} for lk, d, la in row] for row in buttons or []],
            "edit_key": edit_key,
        }

    async def user(self, user_id: int, key: str, *, buttons: list[list[Button]] | None = None,
                   text: str | None = None, edit_key: str | None = None, photo: str | None = None,
                   **args: Any) -> None:
        """To one user in their language. `text` overrides the key's rendering (composed messages).
        `photo`: a file id of the recipient's channel, sent with the text as its caption."""
        user = (await run_core(self.uow.session, ADDRESS_AND_LANGUAGE_BY_ID, {"id": user_id})).first()
        if user is None:
            return
        payload = self._payload(user.language, key, args, buttons, text, edit_key)
        # The language its text is in: what a channel adds to the message (an invoice button) speaks it too, unread.
        payload["language"] = user.language
        if photo is not None:
            payload["photo"] = photo
        # A person's messages may carry a phone, a room, relayed chat, a photo: sealed at rest (storage.outbox).
        await self._write(user.channel, user.external_id, seal(self.services.cipher, payload))

    async def menu(self, user_id: int) -> None:
        """Ask the user's channel to bring their command menu in line with their role and language, once this
        transaction commits (a channel without menus marks the row done)."""
        user = (await run_core(self.uow.session, ADDRESS_AND_LANGUAGE_BY_ID, {"id": user_id})).first()
        if user is None:
            return
        await self._write(user.channel, user.external_id, {"kind": MENU})

    async def hall(self, campus: Campus, key: str, *, buttons: list[list[Button]] | None = None,
                   text: str | None = None, edit_key: str | None = None, repost: bool = False, **args: Any) -> None:
        """To the campus task hall on every running channel that has one. `repost`: a new message even if one with
        this edit_key was sent (an announcement again, which an edit of a post far up the chat would hide); later
        edits with the key change the new one."""
        payload = self._payload(campus.language, key, args, buttons, text, edit_key)
        if repost:
            payload["repost"] = True
        for channel, chat in hall_chats(campus, self.services):
            await self._write(channel, chat, payload)

    async def operators(self, campus: Campus, key: str, *, text: str | None = None,
                        besides: tuple[str, str] | None = None, **args: Any) -> None:
        """To the campus's operators' chats, but `besides` (channel, chat: where an operator did it, and was told)."""
        for channel, chat in operator_chats(campus, self.services):
            if (channel, chat) == besides:
                continue
            # An operators' group reads the campus's language; an operator's own chat (the console's) theirs.
            person = (await run_core(self.uow.session, LANGUAGE_AND_OPERATOR_BY_ADDRESS,
                                     {"channel": channel, "external_id": chat})).first()
            language = person.language if person is not None else campus.language
            # Sealed like a person's message: a complaint's free text, a payer's id may be personal (storage.outbox).
            await self._write(channel, chat, seal(self.services.cipher,
                                                  self._payload(language, key, args, None, text, None)))

    async def card_decided(self, item: str, key: str, args: dict[str, Any], *, besides: tuple[str, str]) -> None:
        """The item was decided: every copy of its card in a chat other than `besides` (channel, chat: where the
        decision was taken, whose shown copies its answer edits at once), and every copy still queued
        (storage.cards.elsewhere), is edited to say `key`, with no buttons, in that chat's language. Through the
        outbox, in this transaction: only if the decision stands, within the chats' rate limits. A copy gone
        meanwhile is not posted again ("replaced": the chat that decided was told)."""
        for copy in await cards.elsewhere(self.uow.session, item, *besides):
            language, still_operators = await self._card_reader(copy.channel, copy.chat)
            if still_operators:
                payload = self._payload(language, key, args, None, None, copy.edit_key)
            else:  # no longer an operator (or operators' chat): the card goes, and the decision is not theirs to read
                payload = self._payload(language, CARD_WITHDRAWN, {}, None, None, copy.edit_key)
            # Sealed like the operators' notices: a card names people and amounts (storage.outbox).
            await self._write(copy.channel, copy.chat, seal(self.services.cipher, {**payload, "replaced": True}))

    async def replace_cards(self, item: str, key: str, *, text: str, language: str,
                            since: dt.datetime | None = None, buttons: list[list[Button]] | None = None) -> None:
        """Every message known to show the item's card, in any chat (storage.cards.everywhere; `since`: shown since
        then), is edited to `text` with `buttons` (None: none), through the outbox in this transaction."""
        for copy in await cards.everywhere(self.uow.session, item, since):
            await self.edit_card(copy, key, text=text, language=language, buttons=buttons)

    async def edit_card(self, copy: cards.Copy, key: str, *, text: str, language: str,
                        buttons: list[list[Button]] | None = None) -> None:
        """One message showing a card is edited to `text` with `buttons`, through the outbox in this transaction; one
        gone meanwhile is not posted again. Sealed: a card may carry personal data (storage.outbox)."""
        payload = {**self._payload(language, key, {}, buttons, text, copy.edit_key), "language": language}
        await self._write(copy.channel, copy.chat, seal(self.services.cipher, {**payload, "replaced": True}))

    async def _card_reader(self, channel: str, chat: str) -> tuple[str, bool]:
        """Who reads a chat showing an operators' card: its language, and whether they are operators still. A private
        chat is its person's (a console operator's too: their copy of the card was in their language), an operator
        still if flagged or named by a campus file. Any other chat is an operators' chat, now or before its group was
        upgraded to a supergroup (a new chat id), in its campus's language."""
        person = (await run_core(self.uow.session, LANGUAGE_AND_OPERATOR_BY_ADDRESS,
                                 {"channel": channel, "external_id": chat})).first()
        if person is not None:
            return person.language, bool(person.is_operator or named_operator_of(self.services, channel, chat))
        for campus in self.services.campuses.values():
            if (channel, chat) in operator_chats(campus, self.services):
                return campus.language, True
        return self.services.default_campus.language, True

    async def transition(self, campus: Campus, t: Transition) -> None:
        """The notices a transition owes, each to its recipient."""
        row = await self.uow.orders.row_after(t)
        assert row is not None
        # Whatever ended it (confirmed, cancelled, refunded, released, timed out, reassigned), a runner whose part is
        # over no longer needs the student's phone and room: their details message is edited without them
        # (before the notices, so what the runner is told comes last).
        had = t.before.runner_id
        if had is not None and t.before.status in ACTIVE_FOR_RUNNER and not (
                t.after.runner_id == had and t.after.status in ACTIVE_FOR_RUNNER):
            redact = NOTICE_RENDERERS.get(DETAILS_ENDED)
            if redact is not None:
                await redact(self, campus, row, Notice("runner", DETAILS_ENDED, {"accepted_at": t.before.accepted_at},
                                                       user_id=had))
        elif had is not None and t.after.runner_id == had:
            refresh = NOTICE_RENDERERS.get(DETAILS_REFRESHED)
            if refresh is not None and t.after.status is not t.before.status:
                await refresh(self, campus, row, Notice("runner", DETAILS_REFRESHED, user_id=had))
            # The order cards they asked for (/track) show its status, deadline, goods and trip buttons too.
            if (cards_refresh := NOTICE_RENDERERS.get(CARDS_REFRESHED)) is not None:
                await cards_refresh(self, campus, row, Notice("runner", CARDS_REFRESHED, user_id=had))
        if t.credit and (changed := NOTICE_RENDERERS.get(CREDIT_CHANGED)) is not None:
            for runner_id in dict.fromkeys(runner for runner, _ in t.credit):
                await changed(self, campus, row, Notice("runner", CREDIT_CHANGED, user_id=runner_id))
        for notice in t.notices:
            renderer = NOTICE_RENDERERS.get(notice.key)
            if renderer is not None:
                await renderer(self, campus, row, notice)
                continue
            args = {"order": t.after.id, **notice.args}
            if notice.to == "customer":
                await self.user(t.after.customer_id, notice.key, **args)
            elif notice.to == "runner" and notice.user_id is not None:
                await self.user(notice.user_id, notice.key, **args)
            elif notice.to == "operators":
                await self.operators(campus, notice.key, **args)
            elif notice.to == "hall":
                await self.hall(campus, notice.key, edit_key=f"hall:{t.after.id}", **args)


async def report_undelivered(services: "Services", uow: "UnitOfWork", now: dt.datetime, *, channel: str,
                             recipient: str, edit_keys: Iterable[str], reason: str, detail: str = "",
                             origin: str) -> None:
    """Messages with buttons that an order in progress needs — its hall post's Grab, the winner's details and trip
    buttons, an offer — failed for good on `channel` (`edit_keys`: theirs): the operators of each order's campus
    are told in their chat, in this transaction, so someone steps in (gives the runner the student's phone,
    reassigns the order, fixes the hall). Not when the message was for that operators' chat itself: the report
    would fail there too (the channel logs it), and a report is no order's message, so its failure reports
    nothing. `reason`: one of UNDELIVERED_REASONS, said in the operators' language; any other is said with
    `detail`, the platform's description."""
    kinds: dict[int, str] = {}
    for key in edit_keys:
        order = order_of(key)
        if order is not None and not key.startswith(cards.PREFIX):  # a runner's order card: the order needs it not
            kinds.setdefault(order, key.split(":", 1)[0])
    if not kinds:
        return
    found = (await uow.session.execute(
        select(OrderRow.id, OrderRow.campus_id)
        .where(OrderRow.id.in_(sorted(kinds)), OrderRow.status.not_in([s.value for s in FINAL]))
        .order_by(OrderRow.id))).all()
    notifier = Notifier(services, uow, now, origin)
    for order_id, campus_id in found:
        campus = services.campuses.get(campus_id, services.default_campus)
        if (channel, recipient) in operator_chats(campus, services):
            continue
        what = kinds[order_id] if kinds[order_id] in ("hall", "details", "offer") else "other"
        # Once per chat, order and kind: each reminder of an order is a new hall post, which fails the same way.
        if not await first_time_in(uow.session, f"undelivered:{channel}:{recipient}:{what}:{order_id}", now):
            continue
        await notifier.operators(campus, "notice-undelivered", order=order_id, what=what, channel=channel,
                                 reason=reason if reason in UNDELIVERED_REASONS else "other", detail=detail[:300])


def hall_chats(campus: Campus, services: "Services") -> list[tuple[str, str]]:
    """The campus's task hall on each running channel: (channel, chat)."""
    chats = []
    if "console" in services.channels:
        chats.append(("console", f"hall:{campus.id}"))
    hall = telegram_chat(services, campus.channels.telegram_hall_chat_id)
    if "telegram" in services.channels and hall is not None:
        chats.append(("telegram", str(hall)))
    return chats


def in_operator_chat(campus: Campus, services: "Services", inp: Input) -> bool:
    """The input came from the campus's operators' chat, where what it is answered with is for the whole chat."""
    return (inp.channel, inp.chat) in operator_chats(campus, services)


def operators_chat_campus(services: "Services", inp: Input, own: str | None = None) -> Campus | None:
    """The campus whose operators' chat the input came from (None: any other chat): an input there is judged
    against that campus and answered in its language. A chat several campus files name is the sender's `own`
    campus's when it is one of them, else the first's."""
    if inp.chat is None:
        return None
    found = [c for c in services.campuses.values() if in_operator_chat(c, services, inp)]
    return next((c for c in found if c.id == own), found[0] if found else None)


def hall_campus(services: "Services", inp: Input) -> Campus | None:
    """The campus whose task hall the input came from (None: any other chat)."""
    if inp.chat is None:
        return None
    return next((c for c in services.campuses.values() if (inp.channel, inp.chat) in hall_chats(c, services)), None)


def answer_language(chat: Campus | None, own: str) -> str:
    """What an input is answered in: the sender's own language, but in a campus's operators' chat (`chat`, as
    operators_chat_campus finds it), shared by them all, the campus's, as the chat's menu and notices are."""
    return chat.language if chat is not None else own


def named_operator_of(services: "Services", channel: str, external_id: str) -> list[str]:
    """The campuses whose files name this person as an operator, in the files' order."""
    return [c.id for c in services.campuses.values() if f"{channel}:{external_id}" in c.operators]


def operator_chats(campus: Campus, services: "Services") -> list[tuple[str, str]]:
    """Where the campus's operators are reached on each running channel: (channel, chat)."""
    chats = []
    if "console" in services.channels:
        chats += [("console", op.split(":", 1)[1]) for op in campus.operators if op.startswith("console:")]
    admin = telegram_chat(services, campus.channels.telegram_admin_chat_id)
    if "telegram" in services.channels and admin is not None:
        chats.append(("telegram", str(admin)))
    return chats


def telegram_chat(services: "Services", configured: int | None) -> int | None:
    """A Telegram chat the campus file names, by the id it has now (a group upgraded to a supergroup has a new one
    until the file says so: storage.chat_moves)."""
    if configured is None:
        return None
    return int(services.chat_moves.resolve("telegram", str(configured)))
