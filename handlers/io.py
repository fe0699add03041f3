"""Channel-neutral inputs and replies. Adapters turn platform updates into an Input and render Replies."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any


class Kind(str, enum.Enum):
    text = "text"
    command = "command"  # /order 12 → command="order", args=("12",)
    choice = "choice"  # a pressed button or a numbered option: its data
    location = "location"
    contact = "contact"  # a contact card shared: a phone number, and whose it is
    photo = "photo"
    payment = "payment"  # a provider says the student paid (for an order, normally)
    other = "other"  # something sent that no flow reads (a sticker, a voice note, a file): answered, never acted on


@dataclass(frozen=True)
class Payment:
    provider: str  # telegram, wechat
    charge_id: str  # the provider's id for this payment: the idempotency key
    order_id: int | None  # None: the payment names no order of ours (it is kept in the wallet)
    amount: int  # fen
    # For the goods difference (fen) the order's runner asked for (handlers.goods_extra), not the order itself. The
    # amount may be more (a provider's smallest charge): the rest stays in the wallet.
    extra: int | None = None


@dataclass(frozen=True)
class Contact:
    """A contact card someone shared (Telegram's "Share my phone number" button sends their own)."""

    phone: str  # as the platform gave it (read like a typed number: handlers.ordering.got_phone)
    # The platform's user id of the person it is the card of (compare Input.user); None: nobody the platform knows.
    user: str | None = None


@dataclass(frozen=True)
class Input:
    channel: str  # console, telegram, wechat
    user: str  # the platform's user id
    kind: Kind
    text: str = ""
    command: str | None = None
    args: tuple[str, ...] = ()
    choice: str | None = None
    lat: float | None = None
    lon: float | None = None
    # A live location still being shared: when it ends (Telegram: the message's date + live_period). None for a
    # one-off location, and for the last position of a live location its sender stopped sharing.
    live_until: dt.datetime | None = None
    # When the platform says the person sent it (Telegram: a message's date, or its edit_date for a live location's
    # later position), which may be a while before it is handled (a backlog after a restart); None where not given.
    at: dt.datetime | None = None
    photo: str | None = None  # the platform's file id
    contact: Contact | None = None
    payment: Payment | None = None
    update_id: str | None = None  # the platform's id for this update, to process a repeat once
    name: str = ""  # display name the platform gave
    chat: str | None = None  # set when the input came from a group (the task hall), not a private chat
    # A group input whose replies the channel delivers to its sender's private chat (Telegram does for commands in
    # a task hall): what only a private chat may show is fine to answer.
    answered_privately: bool = False
    # In a group, text replying to one of the bot's questions: that question's step token (its step buttons carry
    # it), so the answer goes to the step that asked, not to whatever step its writer is in.
    answers: str | None = None
    # The platform's id of the message this input acts on: the one whose button was pressed, or the bot's question a
    # group reply answers. A later reply may replace that message (Reply.replaces); None where the channel has none.
    message: str | None = None
    # The language the person's app is set to, when it is one we speak (None otherwise): someone new starts in it.
    language: str | None = None

    @property
    def conversation(self) -> str:
        """Whose conversation this input continues: the sender's private one, or in a group that answers in the group
        (the operators' chat) the sender's conversation there, so a question asked in that chat waits for its answer
        there and leaves whatever the sender does privately (an order form) alone."""
        if self.chat is None or self.answered_privately:
            return self.user
        return f"{self.user}@{self.chat}"

    @property
    def answer_chat(self) -> str:
        """The chat the replies go to: the group that answers in the group (the operators' chat), else the sender's
        private chat (named by their id)."""
        return self.user if self.chat is None or self.answered_privately else self.chat

    @property
    def update_key(self) -> str | None:
        """The key that marks this update handled (storage/dedupe.py); None when the platform gave no id."""
        return None if self.update_id is None else update_key(self.channel, self.update_id)


def update_key(channel: str, update_id: str | int) -> str:
    """The processed-update key of a platform's update id (Input.update_key, and a channel's own paths)."""
    return f"{channel}:{update_id}"[:96]


@dataclass(frozen=True)
class Choice:
    label: str
    data: str  # compact, validated when it comes back: never trusted


# The colours a chart's bars come in. A chart is drawn without words (a channel's fonts may lack the reader's script):
# the reply's text names what each colour stands for, by a square of it.
CHART_COLOURS = {"green": "🟩", "red": "🟥", "blue": "🟦", "orange": "🟧"}


@dataclass(frozen=True)
class Bars:
    """One panel of a chart: a stacked bar per label, each series (colour, values) on top of the ones before it."""

    series: tuple[tuple[str, tuple[int, ...]], ...]
    money: bool = False  # the values are fen, drawn as yuan


@dataclass(frozen=True)
class Chart:
    """Bar charts over the same labels (days, "11-18"), one panel above the other, sent as a picture with the reply's
    text, where the channel can."""

    labels: tuple[str, ...]
    panels: tuple[Bars, ...]

    def __post_init__(self) -> None:
        for panel in self.panels:
            for colour, values in panel.series:
                if colour not in CHART_COLOURS or len(values) != len(self.labels):
                    raise ValueError(f"a series must be one of {list(CHART_COLOURS)} with a value per label")

    def to_json(self) -> dict[str, Any]:
        """As an outbox row keeps it (a queued reply is drawn when it is sent)."""
        return {"labels": list(self.labels),
                "panels": [{"money": p.money, "series": [[c, list(v)] for c, v in p.series]} for p in self.panels]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chart:
        return cls(tuple(data["labels"]), tuple(
            Bars(tuple((c, tuple(v)) for c, v in p["series"]), money=p["money"]) for p in data["panels"]))


@dataclass(frozen=True)
class Reply:
    """One message to the person who sent the input, already in their language."""

    key: str  # the catalogue key of the main message (tests and adapters may look at it)
    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()  # rows of buttons / numbered options
    # Put up a button that shares the person's location, or their phone number (their own contact card), where the
    # channel can (Telegram's reply keyboard: one at a time, a new one takes the place of the old).
    request_location: bool = False
    request_contact: bool = False
    # Replace the message this input acts on (whose button was pressed, or the question a group reply answers), where
    # the channel can.
    edit: bool = False
    # The location (or phone number) an earlier message asked for is no longer wanted: a channel that left a button up
    # for it (Telegram's reply keyboard) takes it away with this reply.
    location_done: bool = False
    photo: str | None = None  # a file id of the input's channel: sent with the text as its caption, where it can
    chart: Chart | None = None  # drawn and sent as a picture with the text as its caption, where the channel can
    # An earlier message of this chat (an Input.message of an earlier input) that this reply replaces, where the
    # channel can; nothing is sent when it cannot. A card acted on through another message (a question, a
    # confirmation) is brought up to date this way, so it shows no buttons that no longer apply.
    replaces: str | None = None
    # It replaces a message with what that message said, only its buttons change (the end of a question's step): a
    # message shown in pieces keeps its earlier ones as they are, so a channel need not look them up.
    restated: bool = False
    args: dict[str, Any] = field(default_factory=dict)
    # A question waiting for a typed answer (Ctx.ask): its step token. A channel that can edit its messages reports
    # the one it showed it in (handlers.context.question_shown), so that the end of the step takes its buttons away.
    question: str | None = None
    # The item whose card this message is (an operators' list entry with buttons, "application/12"; a runner's order
    # card): a channel that can edit its messages records which one shows it (storage.cards), so a decision taken
    # another way (the end of the runner's part) edits it too.
    card: str | None = None

    @property
    def shares(self) -> bool:
        """It puts up a button that shares something (request_location, request_contact)."""
        return self.request_location or self.request_contact

    def flat_choices(self) -> list[Choice]:
        return [c for row in self.choices for c in row]


def parse_text(channel: str, user: str, text: str, **kw: Any) -> Input:
    """Text as a person typed it: '/cmd a b' becomes a command, anything else stays text."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():  # "/ lol" is not a command
        head, *rest = stripped[1:].split(maxsplit=1)
        command = head.split("@", 1)[0].lower()  # /grab@paotui_bot in groups
        args = tuple(rest[0].split()) if rest else ()
        return Input(channel, user, Kind.command, text=rest[0] if rest else "", command=command, args=args, **kw)
    return Input(channel, user, Kind.text, text=text, **kw)
