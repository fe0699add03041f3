"""The console channel: runs console lines through the handlers and shows what reached everyone.

After every input the console delivers the outbox for channel "console" like any sender would: it prints each
pending message (`[to @bob] text`, `[hall #1] text`, an edit of an earlier hall message as
`[hall · edited #1] text`), numbers its buttons `(1) Grab`, and marks the row sent; a command-menu refresh is
marked sent without a word (the console has no menu). It remembers each persona's latest buttons and every hall
message's buttons, so `#2`, `[English]` and `hall#1` press them. An edit without buttons takes away the buttons of
the message it edits, as on Telegram.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.charts import png
from bot.console.clock import ConsoleClock, StepTooFar
from bot.console.lines import (
    Act,
    ClockLine,
    Comment,
    Contact,
    HallPress,
    Line,
    LineError,
    Location,
    Photo,
    Press,
    SweepLine,
    Switch,
    Text,
)
from handlers.app import App
from handlers.context import Services
from handlers.io import Chart, Choice, Input, Kind, Reply, parse_text
from handlers.io import Contact as ContactCard
from handlers.notify import is_menu
from handlers.sweep import SweepReport, sweep_through
from locales import Catalogue, catalogue
from storage import cards
from storage.models import Outbox
from storage.outbox import open_payload
from storage.uow import UnitOfWork

CHANNEL = "console"
INDENT = "  "
# Where the console leaves the charts it was sent: a folder of this process's own, readable by its user alone (a
# shared, predictable one would show the campus's figures to other local users, and could be symlinked into).
CHARTS: Path | None = None


def charts_folder() -> Path:
    global CHARTS
    if CHARTS is None:
        CHARTS = Path(tempfile.mkdtemp(prefix="paotui-charts-"))
    return CHARTS


def saved_chart(chart: Chart) -> Path:
    """The chart drawn into a PNG file (named by what it shows, so the same one is not drawn again)."""
    folder = charts_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"chart-{hashlib.sha1(repr(chart).encode()).hexdigest()[:12]}.png"
    if not path.exists():
        path.write_bytes(png(chart))
    return path


@dataclass
class HallMessage:
    number: int
    chat: str  # hall:<campus>
    text: str
    choices: list[Choice] = field(default_factory=list)


@dataclass
class Screen:
    """What the console has shown: the buttons a line may press."""

    # persona → buttons of their latest message(s); None: one an edit took away (the others keep their numbers)
    buttons: dict[str, list[Choice | None]] = field(default_factory=dict)
    messages: dict[str, list[list[Choice]]] = field(default_factory=dict)  # the same buttons, message by message
    user_buttons_by_edit_key: dict[tuple[str, str], list[Choice]] = field(default_factory=dict)
    hall: dict[int, HallMessage] = field(default_factory=dict)
    hall_by_edit_key: dict[tuple[str, str], int] = field(default_factory=dict)
    seen_user_edit_keys: set[tuple[str, str]] = field(default_factory=set)
    hall_posts: int = 0  # hall messages ever shown: a reposted one's old number is not given again
    cards_shown: int = 0  # operators' cards ever shown in a reply: each one's message id (storage.cards)
    card_buttons: dict[tuple[str, str], list[Choice]] = field(default_factory=dict)  # (persona, message) → buttons

    def latest_hall(self) -> HallMessage | None:
        return self.hall[max(self.hall)] if self.hall else None


class Block:
    """The output of one line: printed text, and the buttons each recipient was shown in it (numbered from 1)."""

    def __init__(self, t: Catalogue) -> None:
        self.t = t
        self.out: list[str] = []
        self.buttons: dict[str, list[Choice | None]] = {}
        self.messages: dict[str, list[list[Choice]]] = {}
        self.lost: list[tuple[str, list[Choice]]] = []  # buttons an edit without buttons took off their message
        self.cards: list[tuple[str, str, str]] = []  # (persona, item, message id) of the cards shown in replies

    def text(self, prefix: str, text: str, *, indent: str = INDENT) -> None:
        lines = text.splitlines() or [""]
        first = f"{prefix} {lines[0]}" if prefix else lines[0]
        self.out.append(indent + first)
        cont = indent + (INDENT if prefix else "")
        self.out.extend(cont + line for line in lines[1:])

    def choices(self, recipient: str, choices: list[Choice], *, indent: str = INDENT, own: bool = False) -> None:
        """Number `choices` after the ones this recipient already got in this block (own: a hall message's list)."""
        if not choices:
            return
        if own:
            start = 1
        else:
            shown = self.buttons.setdefault(recipient, [])
            start = len(shown) + 1
            shown.extend(choices)
            self.messages.setdefault(recipient, []).append(list(choices))
        self.out.append(indent + " ".join(f"({start + i}) {c.label}" for i, c in enumerate(choices)))


class ConsoleSession:
    def __init__(self, services: Services, *, language: str = "en",
                 write: Callable[[str], None] = print) -> None:
        self.services = services
        self.app = App(services)
        self.t = catalogue(language)
        self.write = write
        self.screen = Screen()
        self.current: str | None = None  # the prompt's persona
        # Card message ids of this run (storage.cards): a database kept from an earlier run has rows of its ids.
        self._run_id = secrets.token_hex(4)
        self._pressed: dict[str, Choice] = {}  # persona → the button this line pressed (a reply may edit its message)
        self._lock = asyncio.Lock()  # one line (or one timer tick's delivery) at a time

    @property
    def clock(self) -> Any:
        return self.services.clock

    @property
    def tz(self) -> dt.tzinfo:
        return self.services.default_campus.tz

    def show_time(self, at: dt.datetime) -> str:
        return at.astimezone(self.tz).isoformat(timespec="minutes")

    def error(self, exc: LineError) -> str:
        return INDENT + self.t("console-error", message=self.t(exc.key, **exc.args_))

    # --- running lines ----------------------------------------------------------------------------------------

    async def run(self, line: Line, *, echo: bool = True) -> None:
        """Run one parsed line and print its output. LineError: printed here (not a crash). Anything else raises."""
        async with self._lock:
            block = Block(self.t)
            try:
                await self._run(line, block, echo)
            except LineError as exc:
                block.out.append(self.error(exc))
                self._flush(block)
                raise
            await self._deliver(block)
            self._flush(block)

    def _flush(self, block: Block) -> None:
        for recipient, choices in block.buttons.items():
            self.screen.buttons[recipient] = choices
            self.screen.messages[recipient] = block.messages[recipient]
        for recipient, lost in block.lost:
            if recipient in block.buttons:
                continue  # this line's buttons replaced the older ones anyway
            # As on Telegram: the edited message has no buttons left; the persona's other messages keep theirs.
            edited = [m for m in self.screen.messages.get(recipient, []) if any(c is x for c in m for x in lost)]
            gone = {id(c) for m in edited for c in m}
            self.screen.buttons[recipient] = [None if id(c) in gone else c
                                              for c in self.screen.buttons.get(recipient, [])]
        for line in block.out:
            self.write(line)

    async def _run(self, line: Line, block: Block, echo: bool) -> None:
        if isinstance(line, Comment):
            block.out.append(line.text)
        elif isinstance(line, Switch):
            self.current = line.persona
        elif isinstance(line, (ClockLine, SweepLine)):
            if echo:
                block.out.append(self._echo_clock(line))
            report = await self.tick(line)
            block.text("", self.t("console-clock", time=self.show_time(self.clock()), report=describe(report)))
        elif isinstance(line, Act):
            if not echo and len(line.personas) == 1:
                self.current = line.personas[0]  # at the prompt, "@bob hi" also makes you bob from now on
            if echo:
                block.out.append(f"@{','.join(line.personas)}> {line.source}")
            self._pressed = {}
            inputs = [self._input(p, line.action) for p in line.personas]  # all resolved before any runs
            if len(inputs) == 1:
                replies = [await self.app.handle(inputs[0])]
            else:
                replies = list(await asyncio.gather(*(self.app.handle(i) for i in inputs)))
            for persona, persona_replies in zip(line.personas, replies):
                prefix = self.t("console-to", persona=persona) if len(line.personas) > 1 else ""
                self._show_replies(block, persona, persona_replies, prefix)
            await self._record_cards(block)

    def _echo_clock(self, line: ClockLine | SweepLine) -> str:
        if isinstance(line, SweepLine):
            return "@sweep"
        if line.step is not None:
            return f"@clock +{_format_step(line.step)}"
        assert line.at is not None
        return f"@clock {self.show_time(line.at)}"

    async def tick(self, line: ClockLine | SweepLine | None = None) -> SweepReport:
        """Move the clock as the line says and run the timers: each deadline met on the way is applied when it
        fell due (sweep_through), as if the service had run all along."""
        clock = self.clock
        since = clock()
        if isinstance(line, ClockLine) and isinstance(clock, ConsoleClock):
            if line.step is not None:
                try:
                    clock.advance(line.step)
                except StepTooFar:  # steps that add up past year 9999
                    raise LineError("console-error-clock-too-far", text=f"+{_format_step(line.step)}") from None
            elif line.at is not None:
                clock.set(line.at)
        return await sweep_through(self.services, since, clock())

    # --- inputs -----------------------------------------------------------------------------------------------

    def _input(self, persona: str, action: Any) -> Input:
        common: dict[str, Any] = {"name": persona}
        if isinstance(action, Text):
            return parse_text(CHANNEL, persona, action.text, **common)
        if isinstance(action, Location):
            return Input(CHANNEL, persona, Kind.location, lat=action.lat, lon=action.lon, **common)
        if isinstance(action, Photo):
            return Input(CHANNEL, persona, Kind.photo, photo=action.file, **common)
        if isinstance(action, Contact):  # always the persona's own card
            return Input(CHANNEL, persona, Kind.contact, contact=ContactCard(action.phone, user=persona), **common)
        if isinstance(action, HallPress):
            message = self._hall_message(action.message)
            choice = self._pick(message.choices, action, lambda: LineError(
                "console-error-hall-no-buttons", number=message.number), lambda labels: LineError(
                "console-error-hall-no-button", number=message.number, which=action.describe(), buttons=labels))
            return Input(CHANNEL, persona, Kind.choice, choice=choice.data, chat=message.chat, **common)
        if isinstance(action, Press):
            choice = self._pick(self.screen.buttons.get(persona, []), action, lambda: LineError(
                "console-error-no-buttons", persona=persona), lambda labels: LineError(
                "console-error-no-button", persona=persona, which=action.describe(), buttons=labels))
            self._pressed[persona] = choice
            return Input(CHANNEL, persona, Kind.choice, choice=choice.data, **common)
        raise AssertionError(action)

    def _hall_message(self, number: int | None) -> HallMessage:
        if number is None:
            latest = self.screen.latest_hall()
            if latest is None:
                raise LineError("console-error-no-hall")
            return latest
        if number not in self.screen.hall:
            raise LineError("console-error-no-hall-message", number=number)
        return self.screen.hall[number]

    @staticmethod
    def _pick(shown: list[Choice | None], press: Press, none: Callable[[], LineError],
              missing: Callable[[str], LineError]) -> Choice:
        if not any(shown):
            raise none()
        labels = " ".join(f"({i}) {c.label}" for i, c in enumerate(shown, 1) if c is not None)
        if press.which is not None:
            if 1 <= press.which <= len(shown) and (choice := shown[press.which - 1]) is not None:
                return choice
            raise missing(labels)
        choices = [c for c in shown if c is not None]
        wanted = (press.label or "").casefold()
        for match in ([c for c in choices if c.label == press.label],
                      [c for c in choices if c.label.casefold() == wanted],
                      [c for c in choices if wanted and wanted in c.label.casefold()]):
            if match:
                return match[-1]
        raise missing(labels)

    # --- output -----------------------------------------------------------------------------------------------

    def _show_replies(self, block: Block, persona: str, replies: list[Reply], prefix: str) -> None:
        pressed = self._pressed.get(persona)
        for reply in replies:
            if reply.edit and not reply.flat_choices() and pressed is not None:
                block.lost.append((persona, [pressed]))  # the reply edits the pressed message to one without buttons
            text = self._with_photo(reply.text, reply.photo)
            if reply.chart is not None:
                text = f"{self.t('console-chart', path=str(saved_chart(reply.chart)))} {text}"
            replaced = self.screen.card_buttons.get((persona, reply.replaces)) if reply.replaces else None
            if reply.edit or replaced is not None:
                text = f"{self.t('console-edited')} {text}"
            if replaced is not None and not reply.flat_choices():
                block.lost.append((persona, replaced))  # a card a typed decision brought up to date
            block.text(prefix, text)
            block.choices(persona, reply.flat_choices(), indent=INDENT * (2 if prefix else 1))
            if reply.card is not None:
                self.screen.cards_shown += 1
                message = f"{self._run_id}.{self.screen.cards_shown}"
                block.cards.append((persona, reply.card, message))
                self.screen.card_buttons[(persona, message)] = reply.flat_choices()
            if reply.request_location:
                block.text("", self.t("console-ask-location"), indent=INDENT * (2 if prefix else 1))

    async def _record_cards(self, block: Block) -> None:
        """As the Telegram adapter does: the messages showing a card are recorded (storage.cards), so a decision taken
        another way (a typed /approve) edits them: here at once, in another console chat through the outbox."""
        if not block.cards:
            return
        now = self.clock()
        async with UnitOfWork(self.services.db) as uow:
            for persona, item, message in block.cards:
                await cards.shown(uow.session, CHANNEL, persona, item, message, now)
                key = (persona, cards.card_key(item, f"m{message}"))  # what an outbox edit of it carries
                self.screen.seen_user_edit_keys.add(key)
                self.screen.user_buttons_by_edit_key[key] = self.screen.card_buttons[(persona, message)]

    async def deliver(self) -> list[str]:
        """Deliver the pending console outbox now (a timer tick filled it); returns the printed lines."""
        async with self._lock:
            block = Block(self.t)
            await self._deliver(block)
            self._flush(block)
            return block.out

    async def _deliver(self, block: Block) -> None:
        now = self.clock()
        async with UnitOfWork(self.services.db) as uow:
            rows = list(await uow.session.scalars(
                select(Outbox).where(Outbox.channel == CHANNEL, Outbox.status == "pending").order_by(Outbox.id)))
            for row in rows:
                if not is_menu(row.payload):  # the console has no command menu to refresh
                    row.sent_ref = self._show_message(block, row.recipient,
                                                      open_payload(self.services.cipher, row.payload))
                row.status = "sent"
                row.sent_at = now
                row.attempts += 1

    def _with_photo(self, text: str, photo: str | None) -> str:
        return f"{self.t('console-photo', photo=photo)} {text}" if photo else text

    def _show_message(self, block: Block, recipient: str, payload: dict[str, Any]) -> str:
        choices = [Choice(c["label"], c["data"]) for row in payload.get("choices") or [] for c in row]
        text = self._with_photo(payload.get("text", ""), payload.get("photo"))
        edit_key = payload.get("edit_key")
        if recipient.startswith("hall:"):
            number = self.screen.hall_by_edit_key.get((recipient, edit_key)) if edit_key else None
            if number is not None and payload.get("repost"):
                # As on Telegram: the post comes again at the bottom of the hall, and the old one goes.
                self.screen.hall.pop(number)
                number = None
            if number is not None:
                message = self.screen.hall[number]
                message.text, message.choices = text, choices
                block.text(self.t("console-hall-edited", number=number), text)
            else:
                self.screen.hall_posts += 1
                number = self.screen.hall_posts
                self.screen.hall[number] = HallMessage(number, recipient, text, choices)
                if edit_key:
                    self.screen.hall_by_edit_key[(recipient, edit_key)] = number
                block.text(self.t("console-hall", number=number), text)
            block.choices(recipient, choices, indent=INDENT * 2, own=True)
            return f"hall#{number}"
        edited = edit_key is not None and (recipient, edit_key) in self.screen.seen_user_edit_keys
        if edit_key is not None:
            self.screen.seen_user_edit_keys.add((recipient, edit_key))
        key = "console-to-edited" if edited else "console-to"
        block.text(self.t(key, persona=recipient), text)
        block.choices(recipient, choices, indent=INDENT * 2)
        if edit_key is not None:
            if edited and not choices:
                block.lost.append((recipient, self.screen.user_buttons_by_edit_key.get((recipient, edit_key), [])))
            self.screen.user_buttons_by_edit_key[(recipient, edit_key)] = choices
        return recipient


def describe(report: SweepReport) -> str:
    parts = [f"{name} {value}" for name, value in report.as_dict().items() if value]
    return ", ".join(parts) if parts else "-"


def _format_step(step: dt.timedelta) -> str:
    seconds = int(step.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"
