"""What a handler works with for one input: the unit of work, the user, their conversation and language."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from core import pricing_rules, service_hours
from core.campus import Campus
from core.clock import Clock
from core.errors import InvalidInput, NotAllowed
from core.numbers import record_id, without_number_sign
from handlers.io import Chart, Choice, Input, Reply
from handlers.notify import Notifier, answer_language, hall_campus, named_operator_of, operators_chat_campus
from locales import Catalogue, catalogue
from storage import campus_changes, conversations
from storage.campus_changes import CampusChanges
from storage.chat_moves import ChatMoves
from storage.conversations import ConversationState
from storage.crypto import Cipher
from storage.db import Database, DbSession
from storage.grab import GrabService
from storage.models import RunnerProfile, User
from storage.throttle import Throttle
from storage.uow import UnitOfWork

QUOTED = 20  # characters of what someone typed that a refusal quotes
MAX_TEXT = 500  # longest free text we keep (notes, descriptions, chat relay); longer is refused, not cut
# Conversation data: a reply in the private chat offered the location button (or the phone number's: Reply.shares),
# which a channel may still show.
LOCATION_OFFERED = "_location"
# Conversation data: the question the current step asked (Ctx.ask): its step token, catalogue key and arguments, and
# once the channel reports it (question_shown), the message showing it.
QUESTION = "_question"
ARGS = "args_enc"  # a remembered message's arguments, sealed (the key ends in _enc: storage.rekey rotates it)
# Conversation data: earlier messages whose buttons outlast the step that showed them (Ctx.ask's and Ctx.say's
# `keep`), by message id: what the message says (catalogue key and arguments) and those buttons, until
# retire_buttons takes one away. The newest few are remembered; an older one keeps its buttons, which are checked
# when pressed anyway.
KEPT = "_kept"
KEPT_LIMIT = 8
# Buttons that outlast a step: rows of (label key, data), as the conversation keeps them.
Kept = list[list[tuple[str, str]]]


@dataclass
class Services:
    """Everything a handler may use besides the input, built once in main.py."""

    db: Database
    campuses: dict[str, Campus]
    cipher: Cipher
    clock: Clock
    channels: tuple[str, ...] = ("console",)  # channels that are running: where halls and operators are reached
    # Chats the campus files name that have another id now (a group upgraded to a supergroup): notify.hall_chats …
    chat_moves: ChatMoves = field(default_factory=ChatMoves)
    # How fast one person may send (storage.throttle); None: no limit (tests and benchmarks drive users faster).
    throttle: Throttle | None = None
    grabs: GrabService = field(init=False)

    def __post_init__(self) -> None:
        self.grabs = GrabService(self.db, self.campuses, self.clock)

    @property
    def default_campus(self) -> Campus:
        return next(iter(self.campuses.values()))


def is_operator(campus: Campus, user: User) -> bool:
    """Named by the campus's file, or flagged an operator on it: the flag is of the person's own campus only, as a
    campus's operators moderate that campus and no other."""
    flagged = user.is_operator and user.campus_id == campus.id
    return flagged or f"{user.channel}:{user.external_id}" in campus.operators


def home_campus(services: Services, inp: Input, current: str | None) -> str:
    """The campus the sender belongs to, as of this input; `current`: theirs so far (None: someone new).
    Someone a campus file names as an operator belongs to a campus that names them: where they are if it does, else
    the one whose chat the input came from if it does, else the first that does (the files decide, also for someone
    who was on another campus before a file named them). Someone new otherwise joins the campus whose task hall or
    operators' chat they first write in, else the default campus."""
    chat = operators_chat_campus(services, inp, current) or hall_campus(services, inp)
    named = named_operator_of(services, inp.channel, inp.user)
    if named and current not in named:
        return chat.id if chat is not None and chat.id in named else named[0]
    if current is not None:
        return current
    return (chat or services.default_campus).id


def barred(campus: Campus, user: User) -> bool:
    """A suspended account (operators never are): it may do nothing, only money it sent anyway is kept (wallet)."""
    return user.suspended and not is_operator(campus, user)


class Ctx:
    """One input being handled, inside one transaction."""

    def __init__(self, services: Services, uow: UnitOfWork, inp: Input, user: User, conv: ConversationState,
                 now: dt.datetime) -> None:
        self.services = services
        self.uow = uow
        self.input = inp
        self.user = user
        self.conv = conv
        self.now = now
        self.replies: list[Reply] = []
        # The campus whose operators' chat the input came from: it is judged against that campus, and answered in
        # its language (answer_language); None for a private chat or the task hall.
        self.chat_campus = operators_chat_campus(services, inp, user.campus_id)
        # Whether an earlier reply offered the location (or phone) button, which a channel may still show
        # (settle_location).
        self._location_offered = bool(conv.data.get(LOCATION_OFFERED))
        self._asked: dict[str, Any] | None = conv.data.get(QUESTION)  # as an earlier input left it (settle_question)
        self._kept: dict[str, dict[str, Any]] = dict(conv.data.get(KEPT) or {})  # KEPT, kept across ctx.reset()
        self._asked_retired = False  # retire_buttons took a button off the question still asked
        self._changes: CampusChanges | None = None  # campus_changes, read once per input
        self._live: Campus | None = None
        self.notify = Notifier(services, uow, now, origin=f"in:{inp.channel}:{inp.user}:{inp.update_id or secrets.token_hex(6)}")

    # --- who and where -------------------------------------------------------------------------------------
    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def campus(self) -> Campus:
        """The campus this input acts for: the one whose operators' chat it came from, else the sender's."""
        if self.chat_campus is not None:
            return self.chat_campus
        return self.services.campuses.get(self.user.campus_id, self.services.default_campus)

    @property
    def t(self) -> Catalogue:
        return catalogue(answer_language(self.chat_campus, self.user.language))

    @property
    def is_operator(self) -> bool:
        return is_operator(self.campus, self.user)

    def require_operator(self) -> None:
        if not self.is_operator:
            raise NotAllowed("error-operators-only")

    async def runner_profile(self) -> RunnerProfile | None:
        return await self.uow.runners.get(self.user_id)

    async def campus_changes(self) -> CampusChanges:
        """What the campus's operators changed from chat over its file (pricing rules, service hours), read from the
        database so every process acts alike, once per input (a step that prices the draft and asks the next question
        prices by the same rules)."""
        if self._changes is None:
            self._changes = await campus_changes.of_campus(self.uow.session, self.campus.id)
        return self._changes

    async def live_campus(self) -> Campus:
        """The campus as its operators run it now: the campus file with their changes from chat, its pricing rules
        (/pricing, handlers.pricing_rules) and service hours (/hours set, handlers.service_hours)."""
        if self._live is None:
            changes = await self.campus_changes()
            campus = pricing_rules.with_rules(self.campus, changes.rules) if changes.rules else self.campus
            hours = service_hours.loads(changes.hours) if changes.hours else None
            self._live = service_hours.with_hours(campus, hours) if hours else campus
        return self._live

    async def photo_args(self, recipient_id: int, photo: str) -> dict[str, Any]:
        """A photo this person sent, as the arguments of a message passing it on to `recipient_id`: the photo itself
        (`photo`) where the recipient is on the same channel, since a file id means something only on the channel
        that issued it; `shown` says which, so the text can say a photo was taken where it cannot be shown."""
        recipient = await self.uow.session.get(User, recipient_id)
        shown = recipient is not None and recipient.channel == self.user.channel
        return {"photo": photo[:256] if shown else None, "shown": "yes" if shown else "no"}

    # --- replies -------------------------------------------------------------------------------------------
    def say(self, key: str, *, choices: list[list[Choice]] | None = None, request_location: bool = False,
            edit: bool = False, photo: str | None = None, replaces: str | None = None, keep: Kept | None = None,
            card: str | None = None, chart: Chart | None = None, **args: Any) -> Reply:
        """keep: buttons under the choices that stay valid past this step (an order's, checked when pressed): with
        `edit`, the message they are shown in (the input's) is remembered, for retire_buttons to take them away.
        card: the item the message is the card of (Reply.card)."""
        rows = [*(choices or []), *self._kept_choices(keep or [])]
        reply = Reply(key=key, text=self.t(key, **args), choices=tuple(tuple(r) for r in rows),
                      request_location=request_location, edit=edit, photo=photo, replaces=replaces, args=args,
                      card=card, chart=chart)
        self.replies.append(reply)
        if keep and edit and self.input.message is not None:
            self._remember(self.input.message, key, self._seal(args), keep)
        return reply

    def say_text(self, key: str, text: str, *, choices: list[list[Choice]] | None = None,
                 request_location: bool = False, edit: bool = False, replaces: str | None = None,
                 card: str | None = None) -> Reply:
        """A message composed of several catalogue entries (a quote, an order card). card: as for `say`."""
        reply = Reply(key=key, text=text, choices=tuple(tuple(r) for r in choices or []),
                      request_location=request_location, edit=edit, replaces=replaces, card=card)
        self.replies.append(reply)
        return reply

    def settle_location(self) -> None:
        """Once the handler has said everything: if an earlier input offered the location button and none of these
        replies offers it again, the first reply that does not refuse the input (a refusal changes nothing) says
        it is no longer wanted (`location_done`), whatever command left the flow or moved past its question. The
        conversation remembers whether the button is still up. Only the private chat has the button. The phone
        step's button (request_contact) is one such button too: a channel shows one at a time, the newest, so a reply
        offering either keeps a button up and the next that offers neither takes it away."""
        if self.input.chat is not None and not self.input.answered_privately:
            return
        up = any(r.shares for r in self.replies)
        if not up and self._location_offered:
            at = next((i for i, r in enumerate(self.replies) if not r.key.startswith("error-")), None)
            if at is None:
                up = True  # nothing answered it: the button stays for now
            else:
                self.replies[at] = dataclasses.replace(self.replies[at], location_done=True)
        if up:
            self.conv.data[LOCATION_OFFERED] = True
        else:
            self.conv.data.pop(LOCATION_OFFERED, None)

    def ask(self, key: str, *, choices: list[list[Choice]], keep: Kept | None = None, request_location: bool = False,
            request_contact: bool = False, edit: bool = False, **args: str) -> Reply:
        """A question of the current step with buttons of that step only (a Cancel, a Skip, the options it may be
        answered with, typed or pressed), which mean nothing once the step is over. The conversation keeps what it
        said (`args`: plain strings) so that its message, if the channel reports which (question_shown), loses them
        then (settle_question), unless a reply takes that message's place (`edit`, as in say: a button of it was
        pressed). keep: buttons under them that stay valid past the step (an order's): its message keeps those,
        and is remembered with them, until retire_buttons takes them away."""
        token = self.conv.data.get("_token", "")
        # The step's buttons are kept only to show them again beside kept ones (retire_buttons): a label may say
        # what must not be kept in the clear (the order form's saved room).
        # What it said may be personal (a quote repeats the student's notes and pickup code): sealed, like a draft's
        # room and phone.
        self.conv.data[QUESTION] = {"token": token, "key": key, ARGS: self._seal(args), "keep": _stored(keep or []),
                                    "buttons": bool(choices),
                                    "choices": [[(c.label, c.data) for c in row] for row in choices] if keep else []}
        rows = [*choices, *self._kept_choices(keep or [])]
        reply = Reply(key=key, text=self.t(key, **args), choices=tuple(tuple(r) for r in rows),
                      request_location=request_location, request_contact=request_contact, edit=edit, args=args,
                      question=token)
        self.replies.append(reply)
        return reply

    def settle_question(self) -> None:
        """Once the handler has said everything (after settle_location, which marks the first reply): the message
        showing the question an earlier input asked is replaced by the question without its buttons when its step is
        over (answered, cancelled, left for another command) or it was asked again below; not when a reply takes
        that message's place already (a button of it was pressed). Once the step is over, the buttons it was asked
        to keep stay, and the message is remembered with them (KEPT). A step that is over forgets its question."""
        data = self.conv.data
        current = data.get(QUESTION)
        if current is not None and current.get("token") != data.get("_token"):
            data.pop(QUESTION)  # Ctx.go carries the data over to the next step
            current = None
        asked = self._asked
        message = asked.get("message") if asked is not None else None
        if asked is not None and message is not None and self.replaced(message):
            if (current or {}).get("message") == message:  # the step goes on, but that message shows the reply now
                del current["message"]
        elif asked is not None and message is not None:
            if (current or {}).get("message") == message:  # still waiting there
                if self._asked_retired:  # with its step's buttons, but not the one retired
                    rows = [[Choice(label, d) for label, d in row] for row in asked.get("choices", [])]
                    self._replace(message, asked, rows + self._kept_choices(asked["keep"]))
            else:
                over = current is None or current.get("token") != asked.get("token")  # else asked again below
                keep = (asked.get("keep") or []) if over else []
                if not over or asked.get("buttons", True):  # with no step button, it shows what it keeps already
                    self._replace(message, asked, self._kept_choices(keep))
                if keep:
                    self._remember(message, asked["key"], asked.get(ARGS) or self._seal(self._opened(asked)), keep)
        if self._kept:
            data[KEPT] = self._kept
        else:
            data.pop(KEPT, None)

    def retire_buttons(self, data: str) -> None:
        """The button with this data, kept past its step (`keep`), means nothing any more (its order moved on): a
        message remembered with it is replaced without it, unless a reply takes that message's place already, and
        the question still asked (Ctx.ask) no longer keeps it once its step is over."""
        asked = self._asked
        if asked is not None and (rest := _without(asked.get("keep") or [], data)) != (asked.get("keep") or []):
            asked["keep"] = rest  # settle_question shows the question without it
            self._asked_retired = True
        for message, shown in list(self._kept.items()):
            rest = _without(shown["keep"], data)
            if rest == shown["keep"]:
                continue
            if self.replaced(message):  # a button of it was pressed: the reply in its place says what it shows
                del self._kept[message]
                continue
            self._replace(message, shown, self._kept_choices(rest))
            if rest:
                self._kept[message] = {**shown, "keep": rest}
            else:
                del self._kept[message]

    def _replace(self, message: str, shown: dict[str, Any], rows: list[list[Choice]]) -> None:
        """A reply replacing that message: what it said (`shown`: its key and arguments) with these buttons."""
        self.replies.append(Reply(key=shown["key"], text=self.t(shown["key"], **self._opened(shown)),
                                  choices=tuple(tuple(r) for r in rows), replaces=message, restated=True))

    def _seal(self, args: dict[str, Any]) -> str | None:
        return self.services.cipher.encrypt(json.dumps(args, ensure_ascii=False, default=str)) if args else None

    def _opened(self, shown: dict[str, Any]) -> dict[str, Any]:
        """What a remembered message said (a conversation stored before they were sealed keeps them in clear)."""
        sealed = shown.get(ARGS)
        return json.loads(self.services.cipher.decrypt(sealed) or "{}") if sealed else dict(shown.get("args") or {})

    def replaced(self, message: str) -> bool:
        """A reply takes that message's place already: one replacing it, or an edit of the message pressed."""
        return any(r.replaces == message for r in self.replies) or (
            self.input.message == message and any(r.edit for r in self.replies))

    def _remember(self, message: str, key: str, sealed_args: str | None, keep: Kept) -> None:
        self._kept.pop(message, None)
        self._kept[message] = {"key": key, ARGS: sealed_args, "keep": _stored(keep)}
        while len(self._kept) > KEPT_LIMIT:
            del self._kept[next(iter(self._kept))]

    def _kept_choices(self, keep: Kept) -> list[list[Choice]]:
        return [[self.button(label_key, data) for label_key, data in row] for row in keep]

    def button(self, label_key: str, data: str, **args: Any) -> Choice:
        return Choice(self.t(label_key, **args), data)

    # --- conversation --------------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self.conv.state

    @property
    def data(self) -> dict[str, Any]:
        return self.conv.data

    def go(self, state: str, **data: Any) -> None:
        """Move to a step; a fresh token makes choices offered by earlier steps stale."""
        self.conv.state = state
        self.conv.data = {**self.conv.data, **data, "_token": secrets.token_hex(3)}

    def reset(self) -> None:
        self.conv.state = "idle"
        self.conv.data = {"_token": secrets.token_hex(3)}

    def step(self, label_key: str, value: str, **args: Any) -> Choice:
        """A button that answers the current step; pressing it after the step moved on does nothing."""
        return Choice(self.t(label_key, **args), f"s:{self.conv.data.get('_token', '')}:{value}")

    def step_value(self, data: str) -> str:
        """The value of a step button, or a refusal if the button belongs to an earlier step."""
        _, token, value = (data.split(":", 2) + ["", ""])[:3]
        if not token or token != self.conv.data.get("_token"):
            raise InvalidInput("error-stale-choice")
        return value


def _stored(keep: Kept) -> Kept:
    """Kept buttons as the conversation's JSON gives them back (lists), so that they compare equal then."""
    return [[[label_key, data] for label_key, data in row] for row in keep]  # type: ignore[misc]


def _without(keep: Kept, data: str) -> Kept:
    """The kept buttons but the one with this data (a row left empty goes)."""
    rows = [[b for b in row if b[1] != data] for row in keep]
    return [row for row in rows if row]


async def withdraw_location_offer(session: DbSession, channel: str, user: str, now: dt.datetime) -> bool:
    """Ctx.settle_location's bookkeeping for a path that runs without a Ctx (the grab): if this person's
    conversation says the location button is still up, put up with no step going on (a /nearby list's), it no longer
    is. True when it was: the reply says so. A button put up in a step stays: a place question (the order form's
    pickup, which a runner may be answering for an errand of their own) still waits for its answer, and any other
    step's next answer takes it away (settle_location)."""
    conv = await conversations.load(session, channel, user)
    if conv is None or conv.state != "idle" or not conv.data.pop(LOCATION_OFFERED, None):
        return False
    await conversations.save(session, channel, user, conv, now)
    return True


async def question_shown(session: DbSession, channel: str, user: str, token: str, message: str,
                         now: dt.datetime) -> None:
    """A channel that can edit its messages says which one shows the question a step asked (Reply.question, its step
    token), for Ctx.settle_question to take its buttons away once the step is over; nothing if it is over already."""
    conv = await conversations.load(session, channel, user)
    asked = conv.data.get(QUESTION) if conv is not None else None
    if conv is None or asked is None or asked.get("token") != token or conv.data.get("_token") != token:
        return
    asked["message"] = message
    await conversations.save(session, channel, user, conv, now)


def free_text(text: str, *, limit: int = MAX_TEXT) -> str:
    text = text.strip()
    if len(text) > limit:
        raise InvalidInput("error-text-too-long", limit=limit, length=len(text))
    return text


def quoted(text: str | None, limit: int = QUOTED) -> str:
    """What someone typed, as a refusal quotes it: a long text shortened with an ellipsis, so it is not taken for
    what they wrote."""
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def parse_id(text: str | None, *, bad: str, missing: str, name: str) -> int:
    """A record's number as typed or carried by a button, '12', '#12' or '＃12' → 12. What is no whole number is
    refused as `bad` (its `text` quoted); a number no record can have is `missing`, as an unused one is once looked
    up, with the number as `name`."""
    raw = without_number_sign((text or "").strip())
    number = record_id(raw)
    if number is not None:
        return number
    if raw.isdecimal():
        raise InvalidInput(missing, **{name: quoted(raw)})
    raise InvalidInput(bad, text=quoted(text))


def caption_args(caption: str) -> dict[str, str]:
    """A passed-on photo's caption as its message's arguments (`message`, `captioned`): free text with a relayed
    message's limit, or none. `message` as in a relayed text: Notifier.user's `text` would replace the message."""
    caption = free_text(caption)
    return {"message": caption, "captioned": "yes" if caption else "no"}
