"""Drives the handlers as people in chat would: send text, press buttons, read what reached each person."""
from __future__ import annotations

import itertools

from sqlalchemy import select, update

from handlers.app import App
from handlers.context import Services, question_shown
from handlers.io import Contact, Input, Kind, Payment, Reply, parse_text
from handlers.notify import is_menu
from storage.models import Outbox
from storage.outbox import open_payload
from storage.uow import UnitOfWork

_updates = itertools.count(1)


class Chat:
    def __init__(self, services: Services, channel: str = "console") -> None:
        self.services = services
        self.app = App(services)
        self.channel = channel
        self.last: dict[str, list[Reply]] = {}  # each person's latest replies

    async def send(self, who: str, text: str, *, update_id: str | None = None, chat: str | None = None,
                   replying_to: Reply | None = None, app_language: str | None = None) -> list[Reply]:
        """Text from this person; in a group, `replying_to` is the bot's question it replies to; `app_language` is
        the language their app is set to, as a channel that knows it gives it."""
        answers = None
        if replying_to is not None:  # as the Telegram adapter reads it: the token of the question's step buttons
            answers = next((c.data.split(":")[1] for c in replying_to.flat_choices() if c.data.startswith("s:")), None)
        inp = parse_text(self.channel, who, text, update_id=update_id, name=who, chat=chat, answers=answers,
                         language=app_language)
        return await self._run(who, inp)

    async def press(self, who: str, label_or_data: str, *, chat: str | None = None,
                    message: str | None = None) -> list[Reply]:
        """Press a button from this person's latest replies, by its label (or pass raw data with 'data:');
        `message`: the id of the message it is under, as a channel that has ids gives it."""
        if label_or_data.startswith("data:"):
            data = label_or_data[5:]
        else:
            options = [c for r in self.last.get(who, []) for c in r.flat_choices()]
            matches = [c for c in options if c.label == label_or_data]
            assert matches, f"{who} sees no button {label_or_data!r}; buttons: {[c.label for c in options]}"
            data = matches[-1].data
        return await self._run(who, Input(self.channel, who, Kind.choice, choice=data, name=who, chat=chat,
                                          message=message))

    async def shown(self, who: str, question: Reply, message: str) -> None:
        """As a channel that can edit its messages reports it: this person's question (Ctx.ask) is message
        `message` in their chat."""
        assert question.question is not None, f"{question.key} is no question"
        async with UnitOfWork(self.services.db) as uow:
            await question_shown(uow.session, self.channel, who, question.question, message, self.services.clock())

    async def share_location(self, who: str, lat: float, lon: float) -> list[Reply]:
        return await self._run(who, Input(self.channel, who, Kind.location, lat=lat, lon=lon, name=who))

    async def share_contact(self, who: str, phone: str, *, own: bool = True, owner: str | None = None) -> list[Reply]:
        """A contact card from this person: their own (Telegram's "Share my phone number"), or else `owner`'s (None:
        someone the channel does not know)."""
        card = Contact(phone, user=who if own else owner)
        return await self._run(who, Input(self.channel, who, Kind.contact, contact=card, name=who))

    async def photo(self, who: str, file_id: str, *, caption: str = "") -> list[Reply]:
        """A photo from this person; its caption comes as the input's text, as the channels give it."""
        return await self._run(who, Input(self.channel, who, Kind.photo, text=caption, photo=file_id, name=who))

    async def pay(self, who: str, provider: str, charge_id: str, order_id: int, amount: int, *,
                  extra: int | None = None) -> list[Reply]:
        """A provider's payment for the order, or with `extra` for the goods difference its runner asked for."""
        return await self._run(who, Input(self.channel, who, Kind.payment,
                                          payment=Payment(provider, charge_id, order_id, amount, extra), name=who))

    async def _run(self, who: str, inp: Input) -> list[Reply]:
        replies = await self.app.handle(inp)
        if replies:
            self.last[who] = replies
        return replies

    async def inbox(self, recipient: str) -> list[dict]:
        """Messages the outbox holds for this person or chat (marks them delivered, as the console does; a
        command-menu refresh is no message and is skipped)."""
        async with UnitOfWork(self.services.db) as uow:
            rows = list(await uow.session.scalars(
                select(Outbox).where(Outbox.recipient == recipient, Outbox.status == "pending").order_by(Outbox.id)))
            if rows:
                await uow.session.execute(update(Outbox).where(Outbox.id.in_([r.id for r in rows])).values(status="sent"))
        payloads = [open_payload(self.services.cipher, r.payload) for r in rows if not is_menu(r.payload)]
        if payloads:
            from handlers.io import Choice

            self.last[recipient] = [
                Reply(key=p["key"], text=p["text"], choices=tuple(
                    tuple(Choice(c["label"], c["data"]) for c in row) for row in p["choices"]))
                for p in payloads
            ]
        return payloads


def keys(replies: list[Reply]) -> list[str]:
    return [r.key for r in replies]
