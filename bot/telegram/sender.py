"""The Telegram outbox sender (design.md §5): delivers the messages the handlers queued, within Telegram's limits.

Limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): about 1 message a second
in one chat, 20 a minute in one group, 30 a second overall. They are moving windows from the `limits` library —
"at most N in any window", exactly the promise — kept in its in-process memory storage, or in Redis when several
processes send (pass `limits.storage.storage_from_string("async+redis://…")`). Edits count like messages; a
deletion takes a slot of the chat's and the overall limit but not of the group's minute (TelegramRateLimiter). What
the adapter posts in groups itself takes slots of the same windows (app.py shares the limiter): a request to start
the bot in the hall, and the answers in an admin chat (group_replies.py), whose overflow it queues here as rows.
Each run reads a batch of due rows (200, at most 60 of one chat) a row of each chat at a time — every chat's
oldest, then every chat's second … — so groups whose minute is spent (a backlog after an outage) cannot fill it
and hold back private messages, which could go at once.

A message is sent with sendMessage, or — when the row has a `photo` (a Telegram file_id, Notifier.user(photo=…))
— with sendPhoto, its text as the caption (cut to a caption's 1024 characters) and its buttons under the photo;
an edit of a message sent with a photo changes its caption (editMessageCaption), and so does one of a message in
which Telegram finds no text (a photo the adapter sent itself, group_replies.py).

The task hall: every row a message carried gets the message's id (sent_ref "<chat>:<id>"). A later row with the
same edit_key (an order taken, expired) edits that message in place instead of posting a new one — except a
repost (payload "repost": the order announced again, by the sweep's reminder or after a release), which is a new
message at the bottom of the chat, where runners look, and the one later edits change. Pending rows with the same
edit_key collapse into their newest, and the pending edits of one message (a digest whose orders were taken) are
one edit, the digest re-rendered with each entry's newest state. A hall row with no buttons (taken, cancelled,
expired) for an order the hall never saw is not posted: its rows are marked sent without a request (unless an
older row of the order is still on its way: then it edits that once it lands). If the message to edit is gone, a
new one is sent (not for one a sender retired: below) — for a hall post only with the entries that still offer
something (a removed hall post's orders that were since taken are not news worth a post), and in an admin chat as
group_replies.py does at once: a decision on a pressed card anew, nothing for a card a reply replaced. When more
requests wait for a group than its per-minute budget has left, the new orders go first — their announcements as
digest messages listing them (each order's card and its own grab buttons) — so the hall never passes the limit,
every order is announced, and new orders reach the runners before the hall hears what became of older ones; but
after posting new orders the next request is a waiting update, so updates are not starved (each digest's edits are
then one request, so both keep up; what the last request was is kept in the limiter's storage, so several senders
alternate as one).

A reposted order's previous post would keep a live Grab button forever (later edits change only the newest post),
so marking a repost sent also queues a row {"kind": "retire", "ref": <the previous post>}, in the same transaction:
it is claimed, limited, retried and failed like any row. A post none of whose entries is still its order's newest
post is deleted (deleteMessage; one already gone is fine; one Telegram refuses to delete — older than 48 h — is
re-rendered without its buttons instead). A digest still showing other orders is re-rendered (one edit, merged
with its other pending edits): every re-render leaves out the buttons of an entry whose order was posted again
below, keeping its text. Old rows keep their sent_ref (what they were shown in); lookups take the newest row's —
the highest id, not the message delivered last. So a pending row older than a row of its order already shown (it
waited for a retry, or another sender was quicker) is settled without a request; and a post that lands after a
newer row of one of its orders was shown elsewhere (two senders) gets a retire row of its own when marked sent,
as does one that landed while a newer post of its order was on its way (retired when that one is marked sent).
An edit that finds its message gone because a sender retired it meanwhile (deleted it while the edit was on its
way) posts nothing anew: an entry whose order is shown in another message by now lost its message to that one, so
its row is settled without a request when older than what that message shows, or else is due again, to edit that
message like any pending edit (a sender deletes a post only after the one superseding it was marked sent, so the
lookup after the failed edit sees that one, with no lock). Only a row whose order's newest message is still the
one gone is posted anew.
On PostgreSQL the marking of a chat's posts takes an advisory lock, so of two landing at once the second sees the
first (on SQLite the writer slot does that).

Command menus: a row {"kind": "menu"} (handlers/notify.py Notifier.menu; at start, commands.queue_chat_menus) asks
for the person's menu to be brought up to date. The pending ones of a chat collapse into one request after its
messages, which sets the chat's menu as the person's role and language are now (commands.py) or, for a plain
student in the shared menu's language, deletes it so the students' menu for every private chat shows. It is
limited, retried and failed like a message. The person is read again after the request, and a change meanwhile is
set again, so of two senders the older menu never lands last.

Failures: a 429 is waited out for exactly its retry_after without sleeping: that chat's pending rows are due
again at that moment (next_attempt_at, for every sender), and the limiter holds the chat until then, so no sender
sharing its storage (Redis across processes) sends anything more to it before (not even rows queued meanwhile),
while each carries on with the other chats; then the same request is made again (a 429 is not counted as a
failed try). Network errors and Telegram's 5xx are a failed try: the chat backs off the same way — held, and its
pending rows due again, for a backoff doubling from 2 s up to a cap of 5 minutes (no sleeping) — so a chat's
messages still go out in order once Telegram answers again, and an outage costs each waiting chat one request per
backoff rather than one per message. They are retried for `retry_for` (a day by default, TELEGRAM_RETRY_HOURS:
about 300 tries) and then fail for good; an outage shorter than that loses nothing. 403 (the user blocked the bot)
fails at once with the reason and marks the user started_bot = False, in the same transaction (through
`unreachable`: as app.py wires it, handlers.unreachable, which the first time also tells the operators of each order
the user runs, and ends the offers waiting for them); other 400s, and any other refusal (413, 409 …), fail at once
with Telegram's description. A 401 (the token revoked) fails nothing: the job's rows are due again and run_forever
ends.
A row that fails for good is logged as a warning with its chat, row ids and reason — as an error when the chat is
a group or a campus's task hall or admin chat (`staff_chats`): the bot removed from the hall silences it for good.
When it was one an order in progress needs — with buttons: the hall's Grab, the winner's details and trip buttons,
an offer — the campus's operators are also told in their chat (`undelivered`), in the same transaction, why in
their language (refusals.py; Telegram's description only for a refusal not known there), unless it was a person's
403, which `unreachable` reports; that report is no order's message, so its own failure (the admin
chat gone) reports nothing.

A group upgraded to a supergroup is a new chat, and Telegram refuses the old id (400 with migrate_to_chat_id). The
move is kept (`chat_moved`, storage.chat_moves: the campus file names the old id until an operator edits it, as the
warning logged says) and the chat's pending rows, the refused one's too, are sent to the new id instead; a row
written for the old id later (by a process that had not read the move yet) is redirected before any request. The
posts made before stay with the old group, under their ids (the supergroup numbers its messages anew: the same id
there is another message), where the members still see them: their rows become the new chat's, so an order taken
from an old post edits that post where it is — the Bot API refuses a deactivated group what writes (sending,
deleting) but not an edit. A retired old post cannot be deleted, so its buttons are taken away instead (as for one
older than 48 h); an edit Telegram refuses after all finds the post gone (a new post only for an entry that still
offers something, as for a deleted post). The group's windows count both ids as one chat (TelegramRateLimiter), so
the upgrade does not give the same people a second minute's budget.

Several senders may run (processes, or tasks): a row is claimed with one conditional UPDATE that moves its
next_attempt_at a lease ahead, so only one sender sends it; if that sender dies, the row is due again when the
lease runs out (a crash loses nothing; the message may then go out twice, never zero times). A sender told to stop
finishes the request on its way and claims nothing more; one cancelled mid-request gives its rows back at once.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Message
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import DBAPIError

from bot.telegram.commands import chat_menu, staff_member
from bot.telegram.refusals import OUTAGE, Refusal, refusal
from bot.telegram.render import (
    TEXT_LIMIT,
    at_once,
    cut_to,
    edit_text_or_caption,
    photo_caption,
    picture,
    telegram_length,
)
from bot.telegram.transient import RETRYABLE
from core.campus import Campus
from core.clock import Clock
from handlers.io import Chart, Choice, Reply
from handlers.notify import MENU, is_menu
from handlers.unreachable import stop_reaching
from storage.chat_moves import ChatMoves
from storage.crypto import Cipher
from storage.db import Database
from storage.models import Outbox
from storage.outbox import open_payload, queue
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.telegram.payments import TelegramPayments

log = logging.getLogger(__name__)

CHANNEL = "telegram"
HALL_KEY = re.compile(r"^hall:(\d+)$")
MAX_BUTTONS = 100  # inline buttons in one message
DIGEST_SEPARATOR = "\n\n"
MENU_TRIES = 3  # menu requests per refresh, when the person keeps changing while it is made
RETIRE = "retire"  # the payload kind of a row clearing a reposted order's earlier post (queued by this sender)
Sleep = Callable[[float], Awaitable[Any]]
# What a 403 from a person's chat does, in the transaction failing its rows: (uow, channel, external id, now).
Unreachable = Callable[[UnitOfWork, str, str, dt.datetime], Awaitable[Any]]
# Told, in the transaction that marks them failed, of messages that failed for good (handlers.notify
# report_undelivered with the services bound: app.py): (uow, now, *, channel, recipient, edit_keys, reason, detail,
# origin); reason and detail as refusals.Refusal has them.
Undelivered = Callable[..., Awaitable[None]]
ANNOUNCED_MEMORY_S = 3600  # how long a group's "last request posted new orders" is remembered


@dataclass(frozen=True)
class SenderConfig:
    """Telegram's limits (strings in the `limits` notation) and the sender's retry policy."""

    per_chat: str = "1/second"
    per_group: str = "20/minute"
    overall: str = "30/second"
    # A network error or a 5xx is retried until the waits between its tries add up to this, then it fails for good.
    retry_for: float = 24 * 3600.0
    backoff_base: float = 2.0  # seconds before the 2nd try; doubles each time: 2, 4, 8, 16 …
    backoff_cap: float = 300.0  # … up to this: after an outage, a message waits at most this long for its next try
    # Seconds a claimed row stays hidden from other senders: well past one request's time (aiogram's 60 s timeout);
    # a process killed after claiming delays its rows, and the chat's later ones, that long.
    lease: float = 120.0
    batch: int = 200  # due rows looked at per run, taken round-robin over the chats (TelegramSender._due)
    per_chat_batch: int = 60  # of which at most this many per chat (a flooded hall does not starve others)
    digest_max_entries: int = 20
    poll_interval: float = 1.0  # run_forever's pause when nothing could be sent


def backoff(attempts: int, config: SenderConfig) -> float:
    """Seconds to wait after `attempts` failed tries: base · 2^(attempts-1), capped (plain exponential backoff)."""
    return min(config.backoff_cap, config.backoff_base * 2 ** min(max(attempts - 1, 0), 64))


def retried_for(attempts: int, config: SenderConfig) -> float:
    """Seconds a message has been retried for after `attempts` failed tries: the backoffs between them (at least;
    a sender that was not running adds to it). At `retry_for` it fails for good: a bounded number of tries."""
    return sum(backoff(n, config) for n in range(1, attempts))


class TelegramRateLimiter:
    """Telegram's three limits as moving windows (the `limits` library) over a memory or Redis storage.

    A send takes one slot from each limit that applies (overall; the chat; the group, for group chats) or none:
    every window is tested first and only then hit. Across processes (shared Redis) a lost race between test and
    hit can waste a slot, never exceed a limit. The windows use the storage's clock (time.time() for memory and
    Redis); tests substitute a virtual clock for the memory storage's.
    """

    def __init__(self, storage: Storage | None = None, config: SenderConfig = SenderConfig(), *,
                 moves: ChatMoves | None = None) -> None:
        """moves: the chats that moved (storage.chat_moves; app.py passes the services'), whose ids share windows."""
        self.storage = storage if storage is not None else MemoryStorage()
        self.window = MovingWindowRateLimiter(self.storage)
        self.per_chat: RateLimitItem = parse(config.per_chat)
        self.per_group: RateLimitItem = parse(config.per_group)
        self.overall: RateLimitItem = parse(config.overall)
        self.moves = moves

    @classmethod
    def for_redis(cls, redis_url: str | None, config: SenderConfig = SenderConfig(), *,
                  moves: ChatMoves | None = None) -> TelegramRateLimiter:
        """Windows shared by every process through Redis (settings.redis_url), or this process's own without one."""
        if not redis_url:
            return cls(config=config, moves=moves)
        url = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
        return cls(RedisStorage(url, implementation="redispy", key_prefix="paotui"), config, moves=moves)

    def _window(self, chat: int | str) -> int | str:
        """Whose windows a request to `chat` counts in: a group upgraded to a supergroup has the people and the
        minute it had (what it was sent just before the upgrade counts), so both ids are one. A 429's hold is not:
        Telegram gives it for the id that got it."""
        return self.moves.origin(CHANNEL, str(chat)) if self.moves is not None else chat

    def _checks(self, chat: int | str, group: bool, burst: bool = False) -> list[tuple[RateLimitItem, str]]:
        checks = [(self.overall, "tg-all")]
        if not burst:
            checks.append((self.per_chat, f"tg-chat-{self._window(chat)}"))
        if group and is_group(chat):
            checks.append((self.per_group, f"tg-group-{self._window(chat)}"))
        return checks

    # `group=False` for a deleteMessage: the group's 20 a minute is on messages posted to it (edits change what the
    # members see and are counted too, to be safe), and a deletion posts nothing — counting it would make every
    # repost cost the hall two of its 20. It still takes the chat's and the overall slot, so a burst of deletions is
    # paced like any request (and a 429 on one is waited out as usual).

    # `burst=True` for a message of a direct answer to a command or a press in a group (group_replies.py): the
    # chat's one a second is not waited for — Telegram lets short bursts pass it, and an answer is one — but the
    # group's minute and the overall second are. Its slot of the chat's second is still taken when free, so the
    # sender leaves the chat alone for that second.

    async def ready(self, chat: int | str, *, group: bool = True, burst: bool = False) -> bool:
        """Whether every limit for `chat` has a slot now and Telegram has not asked us to wait (takes none)."""
        if await self.held(chat):
            return False
        for item, key in self._checks(chat, group, burst):
            if not await self.window.test(item, key):
                return False
        return True

    async def acquire(self, chat: int | str, *, group: bool = True, burst: bool = False) -> bool:
        """Take a slot for one request to `chat` if every limit has one now."""
        if not await self.ready(chat, group=group, burst=burst):
            return False
        for item, key in self._checks(chat, group, burst):
            if not await self.window.hit(item, key):
                return False
        if burst:  # taken if free (a full window stays as it is)
            await self.window.hit(self.per_chat, f"tg-chat-{self._window(chat)}")
        return True

    # A 429's retry_after (or a failed try's backoff) and a group's last request kind are kept beside the windows,
    # in the same storage, so every process sharing it (Redis) honours a 429 another one got, and alternates the
    # hall's requests with it.

    async def hold(self, chat: int | str, seconds: float) -> None:
        """Telegram answered 429 for `chat` (or failed: a backoff): no request to it, from any process, for
        `seconds`."""
        key = f"tg-hold-{chat}"
        await self.storage.clear(key)  # a new 429 sets its own wait, not the rest of an older one's
        await self.storage.incr(key, math.ceil(seconds))

    async def held(self, chat: int | str) -> bool:
        """Whether a 429's retry_after (or a backoff) for `chat` is still running."""
        return await self.storage.get(f"tg-hold-{chat}") > 0

    async def held_until(self, chat: int | str) -> dt.datetime | None:
        """When the hold on `chat` runs out (by the storage's clock), or None when it is not held."""
        if not await self.held(chat):
            return None
        return dt.datetime.fromtimestamp(await self.storage.get_expiry(f"tg-hold-{chat}"), dt.timezone.utc)

    async def note_request(self, chat: int | str, *, announced: bool) -> None:
        """Record whether the last request to a group posted new orders (TelegramSender alternates with it)."""
        if not is_group(chat):
            return
        key = f"tg-announced-{chat}"
        if announced:
            await self.storage.incr(key, ANNOUNCED_MEMORY_S)
        else:
            await self.storage.clear(key)

    async def announced_last(self, chat: int | str) -> bool:
        """Whether the last request to this group posted new orders (within the last ANNOUNCED_MEMORY_S)."""
        return is_group(chat) and await self.storage.get(f"tg-announced-{chat}") > 0

    async def group_remaining(self, chat: int | str) -> int:
        """Messages the group may still get in the current minute window (unbounded for private chats)."""
        if not is_group(chat):
            return 1 << 30
        stats = await self.window.get_window_stats(self.per_group, f"tg-group-{self._window(chat)}")
        return max(stats.remaining, 0)


def campus_chats(campuses: Iterable[Campus]) -> frozenset[int]:
    """The task halls and admin chats the campus files name (a failure there is an operational emergency)."""
    return frozenset(chat for c in campuses for chat in (c.channels.telegram_hall_chat_id,
                                                          c.channels.telegram_admin_chat_id) if chat is not None)


async def chat_moved(db: Database, moves: ChatMoves, old: int | str, new: int | str, now: dt.datetime, *,
                     staff_chats: Iterable[str] = ()) -> None:
    """Telegram moved chat `old` to `new` (a group upgraded to a supergroup, which is a new chat): kept for every
    process (storage.chat_moves), and its waiting messages go to the new id. A campus's task hall or admin chat
    keeps working so, but the campus file still names the old id: the operator is told to update it."""
    known = moves.known(CHANNEL, str(old), str(new))
    redirected = await moves.record(db, CHANNEL, str(old), str(new), now)
    if known:
        log.info("telegram: chat %s is chat %s now: %d more waiting messages go there", old, new, redirected)
    elif str(old) in staff_chats:
        log.warning("telegram: the campus chat %s was upgraded to a supergroup, chat %s: its messages (%d waiting) "
                    "go there now; put %s in place of %s in the campus file (channels)", old, new, redirected, new, old)
    else:
        log.info("telegram: chat %s was upgraded to a supergroup, chat %s (%d waiting messages go there)", old, new,
                 redirected)


def is_group(chat: int | str) -> bool:
    """Groups, supergroups and channels have negative ids (or an @name); users positive ones."""
    return not isinstance(chat, int) or chat < 0


def chat_of(recipient: str) -> int | str:
    return int(recipient) if re.fullmatch(r"-?\d+", recipient) else recipient


def keyboard(choices: Sequence[Sequence[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    """The payload's choices as an inline keyboard: rows of buttons labelled `label` sending `data`."""
    rows = [[InlineKeyboardButton(text=c["label"], callback_data=c["data"]) for c in row] for row in choices or []
            if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _cut(text: str) -> str:
    return cut_to(text, TEXT_LIMIT)


@dataclass
class Row:
    """What the sender needs of one outbox row."""

    id: int
    recipient: str
    payload: dict[str, Any]
    attempts: int
    edit_key: str | None

    @property
    def text(self) -> str:
        return str(self.payload.get("text") or "")

    @property
    def choices(self) -> list[list[dict[str, str]]]:
        return self.payload.get("choices") or []

    @property
    def photo(self) -> str | None:
        """A Telegram file_id to send with the text as its caption (Notifier.user(photo=...))."""
        return self.payload.get("photo") or None

    @property
    def chart(self) -> Chart | None:
        """A chart to draw and send as the photo (group_replies.py: a report queued for an admin chat)."""
        data = self.payload.get("chart")
        return Chart.from_json(data) if data else None

    @property
    def pictured(self) -> bool:
        """Sent as a photo (its text is the caption): a file id's, or a chart's."""
        return bool(self.payload.get("photo") or self.payload.get("chart"))

    @property
    def in_hall(self) -> bool:
        """A task hall entry (an order's state): several of them may share one message, a digest."""
        return bool(HALL_KEY.match(self.edit_key or ""))

    @property
    def offers_order(self) -> bool:
        """A hall row with buttons announces an open order; one without (taken, cancelled, expired) closes it."""
        return self.in_hall and any(self.choices)

    @property
    def retired_post(self) -> str | None:
        """For a retire row (queued when a repost was sent): the earlier post it clears of live buttons."""
        return str(self.payload.get("ref")) if self.payload.get("kind") == RETIRE else None


@dataclass
class Job:
    """One request: a new message, an edit of `ref`, a digest of several hall announcements, a deletion of `ref`,
    or a menu refresh."""

    kind: str  # "send", "edit", "digest", "delete", "menu" ("drop": settled without a request)
    head: list[Row]  # the rows whose content the request carries (several for a digest)
    riders: list[Row] = field(default_factory=list)  # older pending rows with the same edit_key, superseded
    ref: str | None = None  # the message an edit changes, or a deletion removes
    retires: list[Row] = field(default_factory=list)  # retire rows of `ref` that this request settles
    supersedes: list[str] = field(default_factory=list)  # earlier posts of the reposted orders this one announces
    # edit_key → id of its newest row shown when the job was planned (none: absent); a post of an older row landing
    # after that (another sender's, on its way meanwhile) is retired when this job's request is marked sent
    known: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> list[Row]:
        return self.head + self.riders + self.retires

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]


def _entry_buttons(row: Row) -> list[list[dict[str, str]]]:
    """An order's buttons inside a digest: labelled with the order number, so each says which order it grabs."""
    match = HALL_KEY.match(row.edit_key or "")
    if not match:
        return row.choices
    tag = f"#{match.group(1)}"
    return [[c if tag in c["label"] else {**c, "label": f"{tag} · {c['label']}"} for c in line]
            for line in row.choices]


def render_digest(entries: Sequence[Row]) -> tuple[str, InlineKeyboardMarkup | None]:
    """One message for several hall entries: their texts one after the other, and each entry's buttons."""
    text = DIGEST_SEPARATOR.join(e.text for e in entries)
    rows = [line for e in entries for line in _entry_buttons(e)]
    return _cut(text), keyboard(rows)


class TelegramSender:
    """Delivers the outbox rows of channel "telegram".

    `run_once(now)` sends what is due and what the limits allow right now, and returns how many rows were
    delivered; `run_forever()` repeats it (app.py runs it as a task). `sleep` is only used for run_forever's pause
    between idle runs. `operators`: the Telegram user ids the campus files name as operators
    (commands.named_operators), whose menus have the operator commands. `staff_chats`: the campuses' task halls
    and admin chats (campus_chats), whose failures are logged as errors. `unreachable`: what a 403 from a person's
    chat does besides failing the rows (by default, marking them not started). `undelivered`: told of the messages
    with buttons an order needs (its hall post, the winner's details, an offer) that failed for good, to tell the
    operators; not of a person's 403, which `unreachable` deals with. `payments` (app.py gives the adapter's): a
    message to a person's chat gets Telegram's invoice button beside its wallet's pay button, as a direct reply does
    (payments.py); without, the wallet's button alone.
    """

    def __init__(self, db: Database, bot: Bot, clock: Clock, sleep: Sleep = asyncio.sleep, *,
                 config: SenderConfig | None = None, limiter: TelegramRateLimiter | None = None,
                 operators: Iterable[str] = (), staff_chats: Iterable[int | str] = (),
                 cipher: Cipher | None = None, unreachable: Unreachable | None = None,
                 undelivered: Undelivered | None = None, moves: ChatMoves | None = None,
                 payments: TelegramPayments | None = None) -> None:
        self.db = db
        self.payments = payments
        self.unreachable = unreachable or _mark_unreachable
        self.undelivered = undelivered
        self.moves = moves or ChatMoves()  # the services' (app.py), so the adapter and the handlers learn a move too
        self.cipher = cipher  # opens the sealed payloads of messages to a person (storage.outbox)
        self.operators = frozenset(operators)
        self.staff_chats = frozenset(str(c) for c in staff_chats)
        self.bot = bot
        self.clock = clock
        self.sleep = sleep
        self.config = config or SenderConfig()
        self.limiter = limiter or TelegramRateLimiter(config=self.config, moves=self.moves)
        self._stop: asyncio.Event | None = None  # run_forever's: once set, nothing more is claimed
        self._lease: tuple[list[int], dt.datetime] | None = None  # the rows claimed last, and until when

    # -- the loop -----------------------------------------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        """Deliver until `stop` is set: then the request on its way is finished and settled, and nothing more is
        claimed (what is left stays due, for the next start). Cancelled instead, mid-request, the rows it had
        claimed are given back at once rather than hidden for their lease (that message may go out twice). Telegram
        refusing the token (401: revoked in @BotFather) ends it too, every row still due for the next start (with
        the new token); app.py stops the service and says why."""
        self._stop = stop
        try:
            while not self._stopping():
                try:
                    delivered = await self.run_once(self.clock())
                except asyncio.CancelledError:
                    raise
                except TelegramUnauthorizedError:  # no request can succeed: nothing is any message's fault
                    return
                except Exception:  # a database or network hiccup: the next run tries again
                    log.exception("telegram outbox run failed")
                    delivered = 0
                if not delivered and not self._stopping():
                    await self.sleep(self.config.poll_interval)
        except asyncio.CancelledError:
            if self._lease is not None:
                ids, until = self._lease
                await self._release(ids, self.clock(), leased_until=until)
            raise

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def run_once(self, now: dt.datetime | None = None) -> int:
        """Send the due rows the limits allow now; the number of rows delivered (a digest delivers several)."""
        now = now or self.clock()
        await self.moves.refresh(self.db, now)
        rows = await self._due(now)
        by_chat: dict[str, list[Row]] = {}
        for row in rows:
            by_chat.setdefault(row.recipient, []).append(row)
        delivered = 0
        for recipient, chat_rows in by_chat.items():
            if self._stopping():
                break
            if self.moves.resolve(CHANNEL, recipient) != recipient:  # written for a chat that moved: sent where it is
                await self.moves.redirect(self.db, CHANNEL, recipient, now)
                continue
            chat = chat_of(recipient)
            held = await self.limiter.held_until(chat)
            if held is not None:
                # Telegram asked us (or another sender) to leave this chat alone, or it failed and backs off: rows
                # queued meanwhile wait too — out of the due rows until then, so a long backoff's do not fill the
                # batch that the other chats' rows are read in.
                await self._defer([r.id for r in chat_rows], held, now)
                continue
            delivered += await self._serve_chat(chat, chat_rows, now)
        return delivered

    async def _serve_chat(self, chat: int | str, rows: list[Row], now: dt.datetime) -> int:
        delivered = 0
        group_spent = False  # the group's minute is spent, not the chat's second: deletions may still go
        for job in await self._plan(chat, rows):
            if job.kind == "drop":  # settled without a request (and without a slot)
                if await self._claim(job, now):
                    await self._mark_sent(job, None, now)
                continue
            group = job.kind != "delete"  # a deletion posts nothing: not in the group's budget (_checks)
            if group and group_spent:
                continue
            if not await self.limiter.ready(chat, group=group):
                if group and is_group(chat) and await self.limiter.ready(chat, group=False):
                    group_spent = True
                    continue
                break  # this chat's (or the overall) budget is spent for now; the rows stay due
            if not await self._claim(job, now):
                continue  # another sender has (some of) these rows
            if not await self.limiter.acquire(chat, group=group):  # another process took the slot in between
                await self._release(job.ids, now)
                break
            outcome = await self._deliver(chat, job, now)
            if outcome is None:
                break  # a 429: leave the chat until its retry_after has passed
            if job.kind != "delete":  # a deletion neither announces nor updates
                announced = job.kind == "digest" or self._is_announcement(chat, job)
                await self.limiter.note_request(chat, announced=announced)
            delivered += outcome
        return delivered

    # -- choosing what to send ----------------------------------------------------------------------------------

    async def _due(self, now: dt.datetime) -> list[Row]:
        """Due pending rows, at most per_chat_batch per chat, a row of each chat at a time: every chat's oldest,
        then every chat's second … (oldest first within a round). Taken strictly oldest first, a backlog of groups
        whose minute is spent (after an outage) would fill the batch with rows that cannot go yet, and a private
        message queued behind them, which could go at once, would not even be read. Each chat still gets a prefix
        of its due rows, in order (_on_the_way relies on it)."""
        # A person's messages wait behind an earlier one not due yet: held or backing off (those push the chat's
        # later rows back too), or claimed by a sender whose process died before sending it (due when its lease
        # ends). A command-menu refresh, queued for later by design, holds nothing back. Groups are planned with the
        # rows still on their way in view instead (_on_the_way): an edit or a deletion may overtake a post. One
        # grouped read of each person's first waiting row, joined: a backlog after an outage stays one pass.
        waiting = (
            select(Outbox.recipient, func.min(Outbox.id).label("first"))
            .where(Outbox.channel == CHANNEL, Outbox.status == "pending", Outbox.next_attempt_at > now,
                   ~Outbox.recipient.startswith("-"), func.coalesce(Outbox.payload["kind"].as_string(), "") != MENU)
            .group_by(Outbox.recipient)
            .subquery()
        )
        ranked = (
            select(Outbox.id, Outbox.recipient, Outbox.payload, Outbox.attempts, Outbox.edit_key,
                   func.row_number().over(partition_by=Outbox.recipient, order_by=Outbox.id).label("rank"))
            .outerjoin(waiting, waiting.c.recipient == Outbox.recipient)
            .where(Outbox.channel == CHANNEL, Outbox.status == "pending", Outbox.next_attempt_at <= now,
                   or_(waiting.c.first.is_(None), Outbox.id < waiting.c.first))
            .subquery()
        )
        query = (select(ranked.c.id, ranked.c.recipient, ranked.c.payload, ranked.c.attempts, ranked.c.edit_key)
                 .where(ranked.c.rank <= self.config.per_chat_batch)
                 .order_by(ranked.c.rank, ranked.c.id).limit(self.config.batch))
        async with UnitOfWork(self.db, write=False) as uow:
            result = (await uow.session.execute(query)).all()
        return [self._opened(r, r.edit_key or (r.payload or {}).get("edit_key")) for r in result]

    def _opened(self, r: Any, edit_key: str | None) -> Row:
        """An outbox row as read (id, recipient, payload, attempts), its payload opened (storage.outbox)."""
        return Row(r.id, r.recipient, open_payload(self.cipher, r.payload), r.attempts, edit_key)

    @staticmethod
    def _is_announcement(chat: int | str, job: Job) -> bool:
        return job.kind == "send" and is_group(chat) and job.head[0].in_hall

    async def _plan(self, chat: int | str, rows: list[Row]) -> list[Job]:
        """This chat's messages, then one menu refresh for all its menu rows (the menu is read as it is when the
        request is made, so one request answers them all)."""
        menus = [r for r in rows if is_menu(r.payload)]
        jobs = await self._message_jobs(chat, [r for r in rows if not is_menu(r.payload)])
        if menus:
            jobs.append(Job("menu", menus[-1:], menus[:-1]))
        return jobs

    async def _message_jobs(self, chat: int | str, rows: list[Row]) -> list[Job]:
        """This chat's messages in order: rows with one edit_key collapse into the newest; a row whose edit_key
        already has a message edits it (unless it is a repost: a new message, which later edits change, and the
        earlier post is retired once it is sent), and the edits of one message are one request, retire rows of it
        included; a hall row closing an order the hall never saw, or older than a row of its edit_key already
        shown, is dropped (no request). When more requests wait than the group's budget has left (deletions do not
        count), the new hall announcements go first, combined into digests."""
        if not rows:
            return []
        by_key: dict[str, list[Row]] = {}
        order: list[str | Row] = []  # an edit_key (at its oldest row's place) or a row without one
        retiring: dict[str, list[Row]] = {}  # an earlier post of a reposted order → its retire rows
        for row in rows:
            if row.retired_post is not None:
                retiring.setdefault(row.retired_post, []).append(row)
            elif row.edit_key:
                if row.edit_key not in by_key:
                    by_key[row.edit_key] = []
                    order.append(row.edit_key)
                by_key[row.edit_key].append(row)
            else:
                order.append(row)
        shown = await self._shown(rows[0].recipient, list(by_key))
        refs = {k: ref for k, (_, ref) in shown.items()}
        # Closed (taken, cancelled, expired) before the hall saw it: nothing to post. Unless an older row of the
        # order is still on its way (another sender's, or waiting to be retried): then its message is edited later.
        unseen = [k for k in by_key if k not in refs and HALL_KEY.match(k) and not by_key[k][-1].offers_order]
        on_the_way = await self._on_the_way(rows[0].recipient, {k: by_key[k] for k in unseen}, rows)
        drops: list[Job] = []
        jobs: list[Job] = []
        edits: dict[str, Job] = {}  # a message → the one edit that brings all its entries up to date
        for item in order:
            if isinstance(item, Row):
                jobs.append(Job("send", [item]))
                continue
            *older, newest = by_key[item]
            ref = refs.get(item)
            if item in shown and shown[item][0] > newest.id:
                # A later state of the order is shown already (this row waited for a retry, or another sender
                # was quicker): posting or editing it now would bring back what the order no longer is.
                drops.append(Job("drop", [newest], older))
            elif item in unseen:
                if item not in on_the_way:
                    drops.append(Job("drop", [newest], older))
            elif ref is None or newest.payload.get("repost"):  # an announcement again: at the bottom of the chat
                jobs.append(Job("send", [newest], older, supersedes=[ref] if ref else []))
            elif ref in edits:
                edits[ref].head.append(newest)
                edits[ref].riders.extend(older)
            else:
                edits[ref] = Job("edit", [newest], older, ref)
                jobs.append(edits[ref])
        jobs.extend(await self._retire_jobs(rows[0].recipient, retiring, edits))
        for job in jobs:
            job.known = {r.edit_key: shown[r.edit_key][0] for r in job.head if r.edit_key in shown}
        if not is_group(chat) or sum(j.kind != "delete" for j in jobs) <= await self.limiter.group_remaining(chat):
            return drops + jobs
        # Short of budget: new orders must reach runners before the hall learns what became of older ones.
        announcements = [j for j in jobs if self._is_announcement(chat, j)]
        digests: list[Job] = []
        current: list[Job] = []
        for job in announcements:
            if current and not self._fits([*current, job]):
                digests.append(self._digest(current))
                current = []
            current.append(job)
        if current:
            digests.append(self._digest(current))
        combined = {id(j) for j in announcements}
        rest = [j for j in jobs if id(j) not in combined]
        if digests and rest and await self.limiter.announced_last(chat):
            return drops + rest[:1] + digests + rest[1:]  # but updates are not starved: every other request
        return drops + digests + rest

    async def _on_the_way(self, recipient: str, keys: dict[str, list[Row]], batch: list[Row]) -> set[str]:
        """Of these edit_keys, those with an older pending row outside this batch: claimed by a sender right now,
        or waiting for a retry (the batch holds every due row older than its newest of a chat)."""
        if not keys:
            return set()
        query = (select(Outbox.edit_key, Outbox.id)
                 .where(Outbox.channel == CHANNEL, Outbox.recipient == recipient, Outbox.status == "pending",
                        Outbox.edit_key.in_(list(keys)), Outbox.id.not_in([r.id for r in batch])))
        async with UnitOfWork(self.db, write=False) as uow:
            found = (await uow.session.execute(query)).all()
        return {key for key, row_id in found if row_id < keys[key][-1].id}

    def _fits(self, jobs: list[Job]) -> bool:
        """Whether these announcements fit one message: entries, length (as Telegram counts it) and buttons."""
        entries = [j.head[0] for j in jobs]
        length = sum(telegram_length(e.text) for e in entries) + len(DIGEST_SEPARATOR) * (len(entries) - 1)
        buttons = sum(len(line) for e in entries for line in e.choices)
        return len(entries) <= self.config.digest_max_entries and length <= TEXT_LIMIT and buttons <= MAX_BUTTONS

    @staticmethod
    def _digest(jobs: list[Job]) -> Job:
        """Announcements as one message (one alone stays as it was)."""
        if len(jobs) == 1:
            return jobs[0]
        return Job("digest", [j.head[0] for j in jobs], [r for j in jobs for r in j.riders],
                   supersedes=[ref for j in jobs for ref in j.supersedes],
                   known={k: i for j in jobs for k, i in j.known.items()})

    async def _refs(self, recipient: str, keys: list[str]) -> dict[str, str]:
        """The message each edit_key's newest row is shown in, in this chat."""
        return {k: ref for k, (_, ref) in (await self._shown(recipient, keys)).items()}

    async def _shown(self, recipient: str, keys: list[str]) -> dict[str, tuple[int, str]]:
        """Each edit_key's newest row shown in this chat (the highest id, not the last delivered): its id and the
        message it is shown in."""
        if not keys:
            return {}
        async with UnitOfWork(self.db, write=False) as uow:
            return await _newest_shown(uow, recipient, keys)

    async def _retire_jobs(self, recipient: str, retiring: dict[str, list[Row]], edits: dict[str, Job]) -> list[Job]:
        """The requests that take reposted orders' buttons off their earlier posts. A message with a pending edit
        takes its retire rows along (every re-render drops them, _edited); one still the newest post of another
        entry is re-rendered; one that is nobody's newest post is deleted — or re-rendered without buttons when
        Telegram would not delete it ("keep", _deliver)."""
        jobs: list[Job] = []
        live = await self._newest_somewhere(recipient, [ref for ref in retiring if ref not in edits])
        for ref, retire_rows in retiring.items():
            if ref in edits:
                edits[ref].retires.extend(retire_rows)
            elif ref in live or any(r.payload.get("keep") for r in retire_rows):
                jobs.append(Job("edit", [], ref=ref, retires=retire_rows))
            else:
                jobs.append(Job("delete", [], ref=ref, retires=retire_rows))
        return jobs

    async def _newest_somewhere(self, recipient: str, refs: list[str]) -> set[str]:
        """Of these messages, those still the newest post of some entry they show."""
        if not refs:
            return set()
        query = (select(Outbox.sent_ref, Outbox.edit_key).distinct()
                 .where(Outbox.channel == CHANNEL, Outbox.recipient == recipient, Outbox.status == "sent",
                        Outbox.sent_ref.in_(refs)))
        async with UnitOfWork(self.db, write=False) as uow:
            shown = (await uow.session.execute(query)).all()
        newest = await self._refs(recipient, sorted({key for _, key in shown if key}))
        return {ref for ref, key in shown if key is None or newest.get(key) == ref}

    # -- claiming and settling rows -----------------------------------------------------------------------------

    async def _claim(self, job: Job, now: dt.datetime) -> bool:
        """Take all of the job's rows or none. One conditional UPDATE moves their next_attempt_at a lease ahead;
        only rows still pending and due change, so two senders never both get a row (on PostgreSQL the second
        waits for the first's row locks, then finds the rows no longer due)."""
        if self._stopping():
            return False  # a stopping sender takes nothing more
        until = now + dt.timedelta(seconds=self.config.lease)
        try:
            async with UnitOfWork(self.db) as uow:
                result = await uow.session.execute(
                    update(Outbox)
                    .where(Outbox.id.in_(job.ids), Outbox.status == "pending", Outbox.next_attempt_at <= now)
                    .values(next_attempt_at=until)
                    .returning(Outbox.id)
                    .execution_options(synchronize_session=False))
                if len(result.all()) != len(job.ids):
                    raise _PartialClaim()  # rolls the unit back: this sender takes none of them
        except _PartialClaim:
            return False
        except DBAPIError as exc:  # e.g. a deadlock with another sender on PostgreSQL: the rows stay for later
            log.warning("could not claim outbox rows %s: %s", job.ids, exc)
            return False
        self._lease = (job.ids, until)
        return True

    async def _release(self, ids: Iterable[int], now: dt.datetime, *, leased_until: dt.datetime | None = None) -> None:
        """The rows due again now; with `leased_until`, only those still under that claim (not settled since)."""
        unsettled = [Outbox.status == "pending"]
        if leased_until is not None:
            unsettled.append(Outbox.next_attempt_at == leased_until)
        async with UnitOfWork(self.db) as uow:
            await uow.session.execute(
                update(Outbox).where(Outbox.id.in_(list(ids)), *unsettled)
                .values(next_attempt_at=now).execution_options(synchronize_session=False))

    async def _set_aside_moved(self, job: Job, now: dt.datetime) -> None:
        """The message the job edits is gone. A row whose order is shown in another message by now is not posted
        again: a sender deleted this one because that message superseded it (a repost of the order landed while
        the edit was on its way). Older than what that message shows, it is settled without a request; newer, it is
        due again, to be planned like any pending edit — of that message. The job keeps the rest: rows whose
        newest message is still this one, which vanished by someone else's hand (an admin), and are posted anew."""
        shown = await self._shown(job.rows[0].recipient, sorted({r.edit_key for r in job.head if r.edit_key}))
        moved = {r.edit_key for r in job.head if r.edit_key in shown and shown[r.edit_key][1] != job.ref}
        if not moved:
            return
        stale = {r.edit_key for r in job.head if r.edit_key in moved and shown[r.edit_key][0] > r.id}
        settled = [r for r in job.head + job.riders if r.edit_key in stale]
        again = [r for r in job.head + job.riders if r.edit_key in moved - stale]
        job.head = [r for r in job.head if r.edit_key not in moved]
        job.riders = [r for r in job.riders if r.edit_key not in moved]
        if settled:
            await self._mark_sent(Job("drop", settled), None, now)
        if again:
            await self._release([r.id for r in again], now)
        log.info("message %s is gone and shows orders now shown elsewhere: rows %s settled, %s due again", job.ref,
                 [r.id for r in settled], [r.id for r in again])

    async def _mark_sent(self, job: Job, ref: str | None, now: dt.datetime) -> None:
        """The job's rows as sent in message `ref`; a repost's earlier posts queued to be retired with it (one
        transaction: a sent repost always gets its retire rows), and `ref` itself when an order it shows has a
        newer row shown in another message already."""
        shown = [r.id for r in job.head + job.riders]
        keys = sorted({r.edit_key for r in job.head if r.edit_key})
        async with UnitOfWork(self.db) as uow:
            if ref is not None and keys and not self.db.is_sqlite:
                # One sender at a time marks posts of this chat (SQLite's writer slot already does that), so of two
                # posts of one order landing at once, the second to commit sees the first (the checks below).
                await uow.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:chat))"),
                                          {"chat": f"paotui-outbox:{job.rows[0].recipient}"})
            for ids, sent_ref in ((shown, ref), ([r.id for r in job.retires], None)):  # retire rows show nothing
                if ids:
                    await uow.session.execute(
                        update(Outbox).where(Outbox.id.in_(ids), Outbox.status == "pending")
                        .values(status="sent", sent_at=now, sent_ref=sent_ref, last_error="")
                        .execution_options(synchronize_session=False))
            for old in dict.fromkeys(job.supersedes):
                if ref is not None and old != ref:
                    await _queue_retire(uow, job.rows[0].recipient, old, f"{old}:{ref}", now)
            for row in job.rows:  # rows written before the notifier filled the column
                if row.edit_key:
                    await uow.session.execute(
                        update(Outbox).where(Outbox.id == row.id, Outbox.edit_key.is_(None))
                        .values(edit_key=row.edit_key).execution_options(synchronize_session=False))
            if ref is not None and keys:
                await self._retire_crossed(uow, job, ref, keys, now)

    @staticmethod
    async def _retire_crossed(uow: UnitOfWork, job: Job, ref: str, keys: list[str], now: dt.datetime) -> None:
        """Posts of one order that crossed on their way (two senders, or a retry): whichever of them shows an older
        row of the order than another one shown is retired like a reposted order's earlier post."""
        recipient = job.rows[0].recipient
        posted = {k: max(r.id for r in job.head if r.edit_key == k) for k in keys}
        shown = await _shown_rows(uow, recipient, keys)
        newest = {k: sent_ref for k, _, sent_ref in shown}  # ordered by id: the last one stays
        if any(newest[k] != ref for k in keys if k in newest):
            # A later row of an order it shows was delivered first (by another sender, or while this one waited for
            # a retry): this message is retired.
            await _queue_retire(uow, recipient, ref, f"{ref}:late:{max(posted.values())}", now)
        # A post of an older row that landed after this job was planned (so it could not supersede it) is retired.
        landed = {sent_ref for k, row_id, sent_ref in shown
                  if sent_ref != ref and job.known.get(k, 0) < row_id < posted[k]}
        for old in sorted(landed):
            await _queue_retire(uow, recipient, old, f"{old}:{ref}", now)

    async def _mark_failed(self, job: Job, reason: str, now: dt.datetime, *, refused: Refusal,
                           blocked_user: str | None = None) -> None:
        """`reason`: what the rows keep as their last_error (Telegram's own words); `refused`: what the operators'
        report says, in their language."""
        async with UnitOfWork(self.db) as uow:
            await uow.session.execute(
                update(Outbox).where(Outbox.id.in_(job.ids), Outbox.status == "pending")
                .values(status="failed", attempts=Outbox.attempts + 1, last_error=reason[:2000])
                .execution_options(synchronize_session=False))
            if blocked_user is not None:
                await self.unreachable(uow, CHANNEL, blocked_user, now)
            needed = [r.edit_key for r in job.head if r.edit_key and r.choices]  # a Grab, the trip's buttons, an offer
            if needed and blocked_user is None and self.undelivered is not None:
                await self.undelivered(uow, now, channel=CHANNEL, recipient=job.rows[0].recipient, edit_keys=needed,
                                       reason=refused.reason, detail=refused.detail,
                                       origin=f"{CHANNEL}:undelivered:{job.ids[0]}")
        chat = job.rows[0].recipient
        if is_group(chat_of(chat)) or chat in self.staff_chats:
            # A task hall or admin chat: every later message there fails too (the bot was removed, the group
            # became a supergroup …) until someone fixes the chat or the campus file.
            log.error("telegram: a task hall or admin chat fails: chat %s, rows %s failed for good: %s",
                      chat, job.ids, reason)
        else:
            log.warning("telegram: chat %s, rows %s failed for good: %s", chat, job.ids, reason)

    async def _pause(self, job: Job, retry_after: float, now: dt.datetime) -> None:
        """A 429: nothing goes to this chat before retry_after has passed, and then the same request is made again.
        Not a failed try (attempts stay): Telegram's pacing is not the message's fault, and it always lets the
        request through once the wait is over."""
        await self._hold(job, retry_after, now, last_error=f"429: retry after {retry_after}s")
        log.warning("telegram 429 for chat %s: nothing more to it for %ss (rows %s)", job.rows[0].recipient,
                    retry_after, job.ids)

    async def _hold(self, job: Job, seconds: float, now: dt.datetime, **values: Any) -> None:
        """Nothing goes to the job's chat for `seconds`: its rows (given `values`) and the chat's other pending rows
        are due exactly then, oldest first as ever, so the chat still reads its messages in order; rows queued
        meanwhile wait for the limiter's hold, which every sender sharing its storage (Redis) honours, as does the
        adapter."""
        recipient = job.rows[0].recipient
        until = max(now, self.clock()) + dt.timedelta(seconds=seconds)
        await self.limiter.hold(chat_of(recipient), seconds)
        async with UnitOfWork(self.db) as uow:
            await uow.session.execute(
                update(Outbox).where(Outbox.id.in_(job.ids), Outbox.status == "pending")
                .values(next_attempt_at=until, **values).execution_options(synchronize_session=False))
            await uow.session.execute(
                update(Outbox).where(Outbox.channel == CHANNEL, Outbox.recipient == recipient,
                                     Outbox.status == "pending", Outbox.next_attempt_at < until)
                .values(next_attempt_at=until).execution_options(synchronize_session=False))

    async def _defer(self, ids: list[int], until: dt.datetime, now: dt.datetime) -> None:
        """These rows, if still due (no sender claimed them), are due at `until` instead."""
        async with UnitOfWork(self.db) as uow:
            await uow.session.execute(
                update(Outbox).where(Outbox.id.in_(ids), Outbox.status == "pending", Outbox.next_attempt_at <= now)
                .values(next_attempt_at=until).execution_options(synchronize_session=False))

    async def _keep(self, job: Job, reason: str, now: dt.datetime) -> None:
        """Telegram would not delete the post (older than 48 h, …): its retire rows are due again at once, to take
        its buttons away with an edit — planned as an edit, which counts in the group's budget (a deletion did not)."""
        async with UnitOfWork(self.db) as uow:
            for row in job.retires:
                await uow.session.execute(
                    update(Outbox).where(Outbox.id == row.id, Outbox.status == "pending")
                    .values(payload={**row.payload, "keep": True}, next_attempt_at=now, last_error=reason[:2000])
                    .execution_options(synchronize_session=False))
        log.info("could not delete %s (%s); taking its buttons away instead", job.ref, reason)

    async def _retry_later(self, job: Job, reason: str, now: dt.datetime) -> None:
        """A failed try (a network error, a 5xx): the chat backs off (its later messages wait behind this one), or
        the message fails for good once it has been retried for retry_for."""
        attempts = max(r.attempts for r in job.rows) + 1
        if retried_for(attempts, self.config) >= self.config.retry_for:
            await self._mark_failed(job, f"after {attempts} tries: {reason}", now, refused=OUTAGE)
            return
        await self._hold(job, backoff(attempts, self.config), now, attempts=attempts, last_error=reason[:2000])

    # -- talking to Telegram ------------------------------------------------------------------------------------

    async def _deliver(self, chat: int | str, job: Job, now: dt.datetime) -> int | None:
        """Make the job's request; the number of rows delivered, or None after a 429 (the chat waits it out)."""
        try:
            ref = await self._request(chat, job, now)
        except _Undeletable as exc:
            await self._keep(job, str(exc), now)
            return 0
        except TelegramRetryAfter as exc:
            await self._pause(job, exc.retry_after, now)
            return None
        except TelegramForbiddenError as exc:
            user = str(chat) if not is_group(chat) else None
            await self._mark_failed(job, f"403: {exc.message}", now, refused=refusal(exc), blocked_user=user)
            return 0
        except TelegramMigrateToChat as exc:  # the group became a supergroup: the job's rows and the chat's go there
            old = getattr(exc.method, "chat_id", None) or chat
            await chat_moved(self.db, self.moves, old, exc.migrate_to_chat_id, now, staff_chats=self.staff_chats)
            return 0
        except TelegramBadRequest as exc:
            await self._mark_failed(job, f"400: {exc.message}", now, refused=refusal(exc))
            return 0
        except TelegramUnauthorizedError:
            await self._release(job.ids, now)  # the token is wrong: nothing is the message's fault
            raise
        except TelegramEntityTooLarge as exc:  # a network error to aiogram, but the same request fails every time
            await self._mark_failed(job, f"413: {exc.message}", now, refused=refusal(exc))
            return 0
        except RETRYABLE as exc:
            await self._retry_later(job, f"{type(exc).__name__}: {exc}", now)
            return 0
        except TelegramAPIError as exc:  # any other refusal (404, 409 …): retrying will not help
            await self._mark_failed(job, f"{type(exc).__name__}: {exc.message}", now, refused=refusal(exc))
            return 0
        await self._mark_sent(job, ref, now)
        return len(job.rows)

    async def _request(self, chat: int | str, job: Job, now: dt.datetime) -> str | None:
        """Send or edit; the sent_ref of the message that now shows the job's rows (None: no message, a menu)."""
        head = job.head
        if job.kind == "menu":
            await self._refresh_menu(chat)
            return None
        if job.kind == "digest":
            text, markup = render_digest(job.head)
            return _ref(await self.bot.send_message(chat, text, reply_markup=markup))
        if job.kind == "delete" and job.ref:
            ref_chat, message_id = job.ref.rsplit(":", 1)
            try:
                await self.bot.delete_message(chat_of(ref_chat), int(message_id))
            except TelegramMigrateToChat as exc:  # in a group that became a supergroup: kept, but still editable
                raise _Undeletable(exc.message) from exc
            except TelegramBadRequest as exc:
                if "message to delete not found" not in exc.message.lower():  # gone already: nothing to clear
                    raise _Undeletable(exc.message) from exc
            return None  # the retire rows showed nothing
        if job.kind == "edit" and job.ref:
            edited = await self._edited(job.ref, job.head)
            ref_chat, message_id = job.ref.rsplit(":", 1)
            try:
                if edited is None:  # what it shows is no longer known (its rows pruned): only its buttons go
                    await self.bot.edit_message_reply_markup(chat_id=chat_of(ref_chat), message_id=int(message_id))
                    return job.ref
                await self._edit_content(chat_of(ref_chat), int(message_id), *edited)
                return job.ref
            except (TelegramBadRequest, TelegramMigrateToChat) as exc:
                description = exc.message.lower()
                if "message is not modified" in description:
                    return job.ref  # it already shows this
                # A message of a group that became a supergroup that Telegram would not edit after all: gone.
                if not isinstance(exc, TelegramMigrateToChat) and "message to edit not found" not in description \
                        and "message can't be edited" not in description:
                    raise
                if not job.head:
                    return job.ref  # only retiring it: a message gone shows no button
                await self._set_aside_moved(job, now)
                head = [r for r in job.head if self._posted_anew(chat, r)]
                if not head:
                    return job.ref
                log.info("message %s is gone; sending order update anew", job.ref)
            if len(head) > 1:
                text, markup = render_digest(head)
                return _ref(await self.bot.send_message(chat, text, reply_markup=markup))
        row = head[0]
        markup = keyboard(await self._choices(row))
        if (photo := await picture(row.photo, row.chart)) is not None:
            # The text is the caption, cut to a caption's length (a relayed photo's long caption loses its end): one
            # row stays one message (the one its keyboard is on and its later edits change).
            return _ref(await self.bot.send_photo(chat, photo, caption=photo_caption(row.text, cut=True) or None,
                                                  reply_markup=markup))
        return _ref(await self.bot.send_message(chat, _cut(row.text), reply_markup=markup))

    @staticmethod
    def _posted_anew(chat: int | str, row: Row) -> bool:
        """Whether a row whose message is gone is sent as a new one: not a hall entry that no longer offers
        anything (news of orders a removed hall post no longer offers is not worth a post of its own), nor an admin
        chat's refresh of a card a reply replaced (the other replies said the news: group_replies.Outgoing.instead)."""
        if is_group(chat) and row.in_hall and not row.choices:
            return False
        return not row.payload.get("replaced")

    async def _edit_content(self, chat: int | str, message_id: int, text: str, markup: InlineKeyboardMarkup | None,
                            photo: bool) -> None:
        """The message's text, or a photo's caption cut to fit. A message no row shows as a photo may still be one
        (an admin chat's answer sent at once, group_replies.py): not known, so Telegram's finding no text in it
        edits its caption."""
        await edit_text_or_caption(self.bot, chat, message_id, text, photo_caption(text, cut=True), markup,
                                   photo=True if photo else None, request=at_once)

    async def _refresh_menu(self, chat: int | str) -> None:
        """The person's chat menu as their role and language are now; a plain student's is deleted, so the
        students' menu for every private chat shows.

        Read again once the request is done: if the person changed meanwhile, another sender may have set the
        newer menu before this older one landed, so it is set again. The last request then always carries what
        was read after the last change (bounded: a change after that has its own menu row)."""
        member = await staff_member(self.db, str(chat), self.operators)
        scope = BotCommandScopeChat(chat_id=chat)
        for _ in range(MENU_TRIES):
            if member is None:
                await self.bot.delete_my_commands(scope=scope)
            else:
                await self.bot.set_my_commands(chat_menu(member), scope=scope)
            now = await staff_member(self.db, str(chat), self.operators)
            if now == member:
                return
            member = now

    async def _edited(self, ref: str, rows: Sequence[Row]) -> tuple[str, InlineKeyboardMarkup | None, bool] | None:
        """The new content of message `ref` (the rows' own, or — for a digest — every entry's newest state) and
        whether it was sent with a photo (then the text is its caption); None when nothing is known of it. An entry
        whose order was posted again in a later message keeps its text here but not its buttons: that post is
        where it is grabbed, and the one its later changes edit."""
        query = (select(Outbox.id, Outbox.recipient, Outbox.payload, Outbox.attempts, Outbox.edit_key)
                 .where(Outbox.channel == CHANNEL, Outbox.sent_ref == ref, Outbox.status == "sent")
                 .order_by(Outbox.id))
        async with UnitOfWork(self.db, write=False) as uow:
            found = (await uow.session.execute(query)).all()
        shown = [self._opened(r, r.edit_key) for r in found]
        photo = any(r.pictured for r in shown)  # a later row of the message (a decision's edit) has no photo of its own
        entries: dict[str, Row] = {}
        for r in shown:
            entries[r.edit_key or f"row:{r.id}"] = r  # newest wins, order kept
        if found:
            newest = await self._refs(found[0].recipient, sorted({e.edit_key for e in entries.values() if e.edit_key}))
            entries = {key: e if newest.get(e.edit_key or "", ref) == ref else
                       Row(e.id, e.recipient, {**e.payload, "choices": []}, e.attempts, e.edit_key)
                       for key, e in entries.items()}
        for row in rows:
            entries[row.edit_key or f"row:{row.id}"] = row
        if not entries:
            return None
        if len(entries) > 1 and all(e.in_hall for e in entries.values()):
            return *render_digest(list(entries.values())), photo
        # One row's message (an admin chat's card, which the sender posted and an answer edits): its newest row
        # alone, never a digest of what it said before with its old buttons.
        only = max(rows or entries.values(), key=lambda r: r.id)
        return _cut(only.text), keyboard(await self._choices(only)), photo

    async def _choices(self, row: Row) -> list[list[dict[str, str]]]:
        """The row's buttons; in a person's chat, with Telegram's invoice button beside a wallet's pay button that
        an invoice can pay now (checked as the message goes: the order may have moved on since it was queued)."""
        if self.payments is None or is_group(chat_of(row.recipient)):
            return row.choices
        reply = Reply(str(row.payload.get("key") or ""), row.text,
                      choices=tuple(tuple(Choice(c["label"], c["data"]) for c in line) for line in row.choices))
        try:
            (offered,) = await self.payments.offer_queued(int(row.recipient), [reply], row.payload.get("language"))
        except Exception:  # noqa: BLE001 - the invoice is an extra: its check failing (a database error) must not
            # hold the message back nor count as Telegram's failure; the wallet's button still pays
            log.exception("no invoice button for outbox row %s: its check failed", row.id)
            return row.choices
        if offered is reply:
            return row.choices
        return [[{"label": c.label, "data": c.data} for c in line] for line in offered.choices]


async def _mark_unreachable(uow: UnitOfWork, channel: str, external_id: str, now: dt.datetime) -> None:
    await stop_reaching(uow.session, channel, external_id)


class _PartialClaim(Exception):
    """Another sender took some of a job's rows first."""


class _Undeletable(Exception):
    """Telegram refused to delete a reposted order's earlier post (its description)."""


def _ref(message: Message) -> str:
    return f"{message.chat.id}:{message.message_id}"


async def _queue_retire(uow: UnitOfWork, recipient: str, post: str, dedupe: str, now: dt.datetime) -> None:
    """A retire row for message `post` (once per `dedupe`), in the caller's transaction."""
    await queue(uow.session, dedupe_key=f"{CHANNEL}:{RETIRE}:{dedupe}", channel=CHANNEL, recipient=recipient,
                payload={"kind": RETIRE, "ref": post}, now=now)


async def _shown_rows(uow: UnitOfWork, recipient: str, keys: list[str]) -> list[tuple[str, int, str]]:
    """The sent rows of these edit_keys in this chat that are shown in a message: (edit_key, id, message), by id."""
    query = (select(Outbox.edit_key, Outbox.id, Outbox.sent_ref)
             .where(Outbox.channel == CHANNEL, Outbox.recipient == recipient, Outbox.status == "sent",
                    Outbox.edit_key.in_(keys), Outbox.sent_ref.is_not(None))
             .order_by(Outbox.id))
    return [tuple(r) for r in (await uow.session.execute(query)).all()]  # type: ignore[misc]


async def _newest_shown(uow: UnitOfWork, recipient: str, keys: list[str]) -> dict[str, tuple[int, str]]:
    """TelegramSender._shown, in this unit of work."""
    return {k: (row_id, ref) for k, row_id, ref in await _shown_rows(uow, recipient, keys)}
