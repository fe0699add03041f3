"""What a console line means. Scripts and the interactive prompt share this grammar:

    # a comment                     (scripts only; at the prompt a line is always input)
    @alice /order                   alice sends text (a /command is a command)
    @alice #2                       alice presses button 2 of her latest message (buttons counted in order)
    @alice [English]                ... or the button labelled English
    @runner1 hall#1                 runner1 presses button 1 of the latest task-hall message
    @runner1 hall.3#1               ... of hall message #3;  hall[Grab] / hall.3[Grab] by label
    @runner1,runner2 hall#1         both press at the same moment (a race)
    @alice @loc 30.2621,120.1215    alice shares a location
    @alice @photo card.jpg          alice sends a photo
    @alice @contact +8613800000000  alice shares her own phone number (a contact card, as Telegram's button sends)
    @clock +31m                     time moves on (+90s, +2h, +1d, +1h30m) and the timers run
    @clock 2026-11-23T10:00+08:00   time is set
    @sweep                          the timers run now
    @alice                          (at the prompt) you are alice from now on
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Union

from bot.console.clock import StepTooFar, parse_moment, parse_step

RESERVED = frozenset({"clock", "sweep", "loc", "photo", "contact", "hall"})
PERSONA = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_HEAD = re.compile(r"^@(\S+)(?:\s+(.*))?$", re.S)
_HALL = re.compile(r"^hall(?:\.(\d{1,6}))?(?:#(\d{1,3})|\[(.+)\])$")
_LOC = re.compile(r"^(-?\d{1,3}(?:\.\d+)?)\s*[, ]\s*(-?\d{1,3}(?:\.\d+)?)$")


class LineError(Exception):
    """A line the console cannot run; key and args name the console.ftl message."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


# --- what a person does -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Press:
    which: int | None = None  # 1-based
    label: str | None = None

    def describe(self) -> str:
        return f"#{self.which}" if self.which is not None else f"[{self.label}]"


@dataclass(frozen=True)
class HallPress(Press):
    message: int | None = None  # hall message number; None: the latest


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Photo:
    file: str


@dataclass(frozen=True)
class Contact:
    phone: str  # as written: the order form reads it as it reads a typed number


Action = Union[Text, Press, HallPress, Location, Photo, Contact]


# --- whole lines --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comment:
    text: str


@dataclass(frozen=True)
class ClockLine:
    step: dt.timedelta | None = None
    at: dt.datetime | None = None


@dataclass(frozen=True)
class SweepLine:
    pass


@dataclass(frozen=True)
class Switch:
    persona: str


@dataclass(frozen=True)
class Act:
    personas: tuple[str, ...]
    action: Action
    source: str  # the input as typed, for the transcript


Line = Union[Comment, ClockLine, SweepLine, Switch, Act]


def parse_action(text: str) -> Action:
    text = text.strip()
    if text == "@loc" or text.startswith("@loc "):
        raw = text[4:].strip()
        m = _LOC.match(raw)
        if not m:
            raise LineError("console-error-location", text=raw)
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise LineError("console-error-location", text=raw)
        return Location(lat, lon)
    if text == "@photo" or text.startswith("@photo "):
        name = text[6:].strip()
        if not name:
            raise LineError("console-error-photo")
        return Photo(name)
    if text == "@contact" or text.startswith("@contact "):
        phone = text[8:].strip()
        if not phone:
            raise LineError("console-error-contact")
        return Contact(phone)
    m = re.fullmatch(r"#(\d{1,3})", text)
    if m:
        return Press(which=int(m.group(1)))
    m = re.fullmatch(r"\[(.+)\]", text, re.S)
    if m:
        return Press(label=m.group(1).strip())
    m = _HALL.match(text)
    if m:
        return HallPress(which=int(m.group(2)) if m.group(2) else None, label=m.group(3),
                         message=int(m.group(1)) if m.group(1) else None)
    return Text(text)


def _personas(head: str) -> tuple[str, ...]:
    names = tuple(head.split(","))
    for name in names:
        if not PERSONA.match(name) or name.lower() in RESERVED:
            raise LineError("console-error-persona", name=name[:40])
    return names


def parse_line(line: str, tz: dt.tzinfo, *, interactive: bool = False, current: str | None = None) -> Line | None:
    """One line; None for a blank one.

    In a script a line starting with # is a comment. At the prompt (interactive) "@alice" alone switches persona,
    and a line without a leading @persona is the current persona's input.
    """
    stripped = line.strip()
    if not stripped:
        return None
    if not interactive and stripped.startswith("#"):
        return Comment(stripped)
    m = _HEAD.match(stripped)
    if m and m.group(1) not in ("loc", "photo", "contact"):
        head, rest = m.group(1), (m.group(2) or "").strip()
        if head == "clock":
            try:
                step = parse_step(rest)
            except StepTooFar:
                raise LineError("console-error-clock-too-far", text=rest[:40]) from None
            if step is not None:
                return ClockLine(step=step)
            at = parse_moment(rest, tz)
            if at is None:
                raise LineError("console-error-clock", text=rest[:40])
            return ClockLine(at=at)
        if head == "sweep" and not rest:
            return SweepLine()
        personas = _personas(head)
        if not rest:
            if interactive and len(personas) == 1:
                return Switch(personas[0])
            raise LineError("console-error-empty-input", persona=head)
        return Act(personas, parse_action(rest), rest)
    if interactive:
        if current is None:
            raise LineError("console-error-choose-persona")
        return Act((current,), parse_action(stripped), stripped)
    raise LineError("console-error-syntax", text=stripped[:60])
