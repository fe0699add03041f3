"""Runs one input: one transaction, the user and their conversation loaded, routed, replies in their language.

Any domain error rolls the whole transaction back, so bad input changes nothing, and is answered in the user's
language. A repeated update (same platform update id) is recognised inside the same transaction and ignored.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value

from core.errors import DomainError, NotAllowed
from core.numbers import record_id, without_number_sign
from handlers import flows  # noqa: F401 - registers every flow on the router
from handlers.context import Ctx, Services, barred, home_campus, is_operator, quoted
from handlers.io import Input, Kind, Reply
from handlers.notify import answer_language, money_args, named_operator_of, operators_chat_campus, plain_args
from handlers.orders import campus_name
from handlers.router import ROUTER
from handlers.runner import PHOTO_STEP, SPENT_STEP
from handlers.tracking import AFTER_PICKUP, CHAT_STATE, sole_conversation
from handlers.unreachable import reach_again
from handlers.unreachable_student import student_back
from locales import DEFAULT_LANGUAGE, catalogue
from storage import conversations
from storage.conversations import ConversationState
from storage.db import CONFLICT_TRIES, conflicted
from storage.dedupe import first_time_in
from storage.lookups import CAMPUS_AND_OPERATOR_BY_ADDRESS, LANGUAGE_AND_CAMPUS_BY_ADDRESS, user_and_conversation
from storage.models import Order as OrderRow
from storage.models import User
from storage.uow import UnitOfWork, read_first

log = logging.getLogger(__name__)

# Commands that are a button's press by number: /grab N takes the grab button's path (hall.py), g:N.
BUTTON_COMMANDS = {"grab": "g"}
# Someone the bot may not write to (they blocked it: handlers.unreachable), by address: built once.
NOT_REACHABLE_BY_ADDRESS = select(User.id).where(
    User.channel == bindparam("channel"), User.external_id == bindparam("external_id"), User.started_bot.is_(False))

# What a person sends themselves: a channel delivers it only once they started the bot (Telegram has them unblock it
# before they can write). A press on an old button, a payment or a live location's next position is no such sign.
WRITTEN = frozenset({Kind.text, Kind.command, Kind.photo, Kind.contact, Kind.other})


def wrote_privately(inp: Input) -> bool:
    """They wrote to the bot in its private chat, so it may write to them (again)."""
    return inp.chat is None and inp.kind in WRITTEN


async def too_fast(services: Services, channel: str, user: str) -> bool:
    """Whether this input goes past the person's pace (storage.throttle); counts it. The one check of every input,
    the channel adapters' own answers too (an edit, Telegram's invoice button). Never an operator a campus file
    names."""
    throttle = services.throttle
    if throttle is None or named_operator_of(services, channel, user):
        return False
    return not await throttle.allow("input", f"{channel}:{user}")


class App:
    def __init__(self, services: Services) -> None:
        self.services = services

    @staticmethod
    def knows_command(name: str) -> bool:
        return name in ROUTER.commands or name in BUTTON_COMMANDS

    @staticmethod
    def relays_text(name: str) -> bool:
        """The command carries free text to another person (Command.relays_text): refused from a group."""
        command = ROUTER.commands.get(name)
        return command is not None and command.relays_text

    async def handle(self, inp: Input) -> list[Reply]:
        if (refused := await self._throttled(inp)) is not None:
            return refused
        now = self.services.clock()
        pressed = BUTTON_COMMANDS.get(inp.command or "") if inp.kind is Kind.command else None
        if pressed is not None:
            if not await self._typed_where_allowed(inp):  # checked before it becomes a press, which a group may make
                return await self._guard(inp, _refuse("error-private-only"), now, remember=True)
            inp = dataclasses.replace(inp, kind=Kind.choice, choice=f"{pressed}:{inp.args[0] if inp.args else ''}")
        if inp.kind is Kind.choice and inp.choice:
            outside = ROUTER.outside.get(inp.choice.split(":", 1)[0])
            if outside is not None:  # it manages its own transactions, the repeat check too
                return await self._guard(inp, outside(self.services, inp, now), now)
        return await self._guard(inp, self._in_transaction(inp, now), now, remember=True)

    async def _typed_where_allowed(self, inp: Input) -> bool:
        """A command typed in a group is for its sender's private chat, as route has it for every private-only
        command: unless the channel answers it there privately (a task hall on Telegram), or an operator types it in
        their campus's operators' chat (where /grab has always worked for them)."""
        if inp.chat is None or inp.answered_privately:
            return True
        found = await read_first(self.services.db, CAMPUS_AND_OPERATOR_BY_ADDRESS,
                                 {"channel": inp.channel, "external_id": inp.user})
        campus_id, flagged = found if found is not None else (None, False)
        chat = operators_chat_campus(self.services, inp, campus_id)
        return chat is not None and is_operator(chat, User(channel=inp.channel, external_id=inp.user,
                                                           campus_id=campus_id, is_operator=flagged))

    async def _throttled(self, inp: Input) -> list[Reply] | None:
        """A person sending faster than storage.throttle allows is refused before any transaction, changing nothing,
        and told so once a minute (silence after: answering a flood would flood their own chat). Never a payment,
        which must be booked, nor an operator a campus file names."""
        if inp.kind is Kind.payment or not await too_fast(self.services, inp.channel, inp.user):
            return None
        log.info("input %s from %s:%s refused: too fast", inp.update_key, inp.channel, inp.user)
        assert self.services.throttle is not None
        if not await self.services.throttle.tell("input", f"{inp.channel}:{inp.user}"):
            return []
        return [Reply(key="error-too-fast", text=catalogue(await self._language(inp))("error-too-fast"))]

    async def _guard(self, inp: Input, work, now, *, remember: bool = False  # noqa: ANN001 - a coroutine, a datetime
                     ) -> list[Reply]:
        """remember: the refused input's update is recorded as handled (its own transaction rolled back with the
        record), so the platform sending it again is not answered twice."""
        try:
            return await work
        except DomainError as exc:
            if remember and inp.update_key is not None:
                async with UnitOfWork(self.services.db) as uow:
                    await first_time_in(uow.session, inp.update_key, now)
            if wrote_privately(inp):
                await self._reached(inp, now)
            language = await self._language(inp)
            args = plain_args(exc)
            text = catalogue(language)(exc.key, **money_args(args))
            return [Reply(key=exc.key, text=f"{exc.heading}\n{text}" if exc.heading else text, args=args)]

    async def _in_transaction(self, inp: Input, now) -> list[Reply]:  # noqa: ANN001
        """The input handled in one transaction, run again from the start (nothing of the aborted one kept, its
        replies included) when PostgreSQL aborts it for a conflict with another (storage.db.conflicted)."""
        for attempt in range(1, CONFLICT_TRIES + 1):
            try:
                return await self._once(inp, now)
            except DBAPIError as exc:
                if attempt == CONFLICT_TRIES or not conflicted(exc):
                    raise
                log.info("input %s conflicted with another transaction (%s); trying again", inp.update_key,
                         getattr(exc.orig, "sqlstate", None))
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _once(self, inp: Input, now) -> list[Reply]:  # noqa: ANN001
        async with UnitOfWork(self.services.db) as uow:
            if inp.update_key is not None and not await first_time_in(uow.session, inp.update_key, now):
                return []  # the platform sent this update again: it was handled already
            user, conv, new = await self._user_and_conversation(uow, inp, now)
            if inp.conversation != inp.user:  # the sender's conversation in the group chat, not their private one
                conv = await conversations.load(uow.session, inp.channel, inp.conversation) or ConversationState()
            ctx = Ctx(self.services, uow, inp, user, conv, now)
            if new and user.language != DEFAULT_LANGUAGE:  # the shared students' menu speaks the default language
                await ctx.notify.menu(user.id)
            await route(ctx)
            ctx.settle_location()
            ctx.settle_question()
            await conversations.save(uow.session, inp.channel, inp.conversation, conv, now)
            return ctx.replies

    async def _user_and_conversation(self, uow: UnitOfWork, inp: Input, now  # noqa: ANN001
                                     ) -> tuple[User, ConversationState, bool]:
        """The sender, their conversation, and whether they are new (created now)."""
        found = await user_and_conversation(uow.session, inp.channel, inp.user)
        if found is not None:
            user, state, data = found
            conv = ConversationState.loaded(state, data) if state is not None else ConversationState()
            if (home := home_campus(self.services, inp, user.campus_id)) != user.campus_id:
                user.campus_id = home  # a campus file names them as its operator now
        else:
            campus = self.services.campuses[home_campus(self.services, inp, None)]
            user = User(channel=inp.channel, external_id=inp.user, campus_id=campus.id, display_name=inp.name[:64],
                        language=inp.language or campus.language, created_at=now, preference_tags=[])
            uow.session.add(user)
            await uow.session.flush()
            conv = ConversationState()
        if wrote_privately(inp) and not user.started_bot and await reach_again(uow.session, user.id):
            # They wrote to us privately, so we may write to them again; runners waiting on them hear so.
            set_committed_value(user, "started_bot", True)
            await student_back(self.services, uow, user.id, now)
        return user, conv, found is None

    async def _reached(self, inp: Input, now) -> None:  # noqa: ANN001
        """A refused input changes nothing, and its transaction, which marked its sender reachable, was rolled back;
        but they wrote to us privately all the same, so we may write to them again, and their runners hear so."""
        found = await read_first(self.services.db, NOT_REACHABLE_BY_ADDRESS,
                                 {"channel": inp.channel, "external_id": inp.user})
        if found is None:
            return
        async with UnitOfWork(self.services.db) as uow:
            if await reach_again(uow.session, found.id):
                await student_back(self.services, uow, found.id, now)

    async def _language(self, inp: Input) -> str:
        """What a refusal is answered in, as Ctx.t would have answered it."""
        found = await read_first(self.services.db, LANGUAGE_AND_CAMPUS_BY_ADDRESS,
                                 {"channel": inp.channel, "external_id": inp.user})
        language, campus_id = found if found is not None else (None, None)
        chat = operators_chat_campus(self.services, inp, campus_id)
        return answer_language(chat, language or inp.language or DEFAULT_LANGUAGE)


async def _refuse(key: str) -> list[Reply]:
    """A refusal decided before any transaction, for App._guard to answer (and record the update as handled)."""
    raise NotAllowed(key)


def in_admin_chat(ctx: Ctx) -> bool:
    """The input came from a campus's operators' chat (that campus is ctx.campus), where operators moderate with
    their commands."""
    return ctx.chat_campus is not None


def ends_question_here(ctx: Ctx) -> bool:
    """A bare /cancel in the operators' chat while a question asked there waits for this sender's answer: it ends
    that question, there (the sender's private conversation does not hold it)."""
    inp = ctx.input
    return (inp.command == "cancel" and not inp.args and ROUTER.bare_cancel(ctx.state) is not None
            and in_admin_chat(ctx))


def campus_heading(ctx: Ctx) -> str | None:
    """An operator whom several campus files name acts privately for the campus they are on (home_campus), which
    they may not have in mind: the answer of an operators' command then begins with that campus's name, so a change
    is never made to the wrong campus unknowingly, nor a refusal ("There is no order #5") read as the other's. In an
    operators' chat the chat names it. None where no heading is wanted."""
    if ctx.chat_campus is not None or len(named_operator_of(ctx.services, ctx.input.channel, ctx.input.user)) < 2:
        return None
    return ctx.t("admin-campus-heading", campus=campus_name(ctx.campus, ctx.t.language))


def name_the_campus(ctx: Ctx, said: int) -> None:
    """The answer of an operators' command (from ctx.replies[said]) headed with its campus (campus_heading)."""
    if len(ctx.replies) > said and (heading := campus_heading(ctx)) is not None:
        first = ctx.replies[said]
        ctx.replies[said] = dataclasses.replace(first, text=f"{heading}\n{first.text}")


def left_to_suspended(ctx: Ctx) -> bool:
    """What a suspended account may still do, in its private chat: what it has and what a runner earned stays theirs,
    so /wallet, /income and /withdraw (Command.while_suspended) with the withdrawal's step and its bare /cancel. The
    rest is barred, but for the orders a runner picked up (trip_left_to_suspended); money sent anyway is kept
    (wallet.py)."""
    inp = ctx.input
    if inp.conversation != inp.user:  # a group's own conversation (the operators' chat)
        return False
    if inp.kind is Kind.command:
        if inp.command == "cancel" and not inp.args:
            return ctx.state in ROUTER.suspended_steps
        command = ROUTER.commands.get(inp.command or "")
        return command is not None and command.while_suspended
    if inp.kind is Kind.choice and not (inp.choice or "").startswith("s:"):  # a step's button, not an order's
        return False
    return inp.kind is not Kind.payment and ctx.state in ROUTER.suspended_steps


# A suspended runner finishes the orders they picked up before it, which stay theirs (admin.set_suspended): these
# commands, the buttons of these verbs and the answers of these steps (with the conversation data naming the order)
# are left to them for those orders alone. /picked says a buy task's cost, /menu leaves the relay chat.
TRIP_COMMANDS = frozenset({"delivered", "picked", "track", "msg"})
# Sent bare (a menu entry), they ask which order or list them: left to a suspended runner who still carries one.
BARE_TRIP_COMMANDS = frozenset({"delivered", "track"})
TRIP_VERBS = frozenset({"deliver", "view", "chat"})
TRIP_STEPS = {SPENT_STEP: "order", PHOTO_STEP: "order", CHAT_STATE: "chat_order"}
# Picked up before the suspension, or delivered since: the statuses a student may no longer cancel in.
FINISHING = tuple(sorted(status.value for status in AFTER_PICKUP))


async def trip_left_to_suspended(ctx: Ctx) -> bool:
    """A suspended runner's input about an order they carry picked up (or delivered, awaiting its confirmation):
    delivering it (its goods' cost and photo steps on the way), seeing it and writing to its student. Nothing else:
    no order taken, no other command."""
    inp = ctx.input
    if inp.conversation != inp.user:
        return False
    step = TRIP_STEPS.get(ctx.state)
    number: object = None
    if inp.kind is Kind.command:
        if step is not None and not inp.args and (
                inp.command in ("menu", "stop") or inp.command == "cancel" and ROUTER.bare_cancel(ctx.state)):
            number = ctx.data.get(step)  # leaving the trip's step
        elif inp.command in TRIP_COMMANDS and inp.args:
            number = inp.args[0]
            if inp.command == "msg" and not await finishing(ctx, number):  # '/msg 5 minutes away' to the one order
                number = await sole_conversation(ctx)
        elif inp.command in BARE_TRIP_COMMANDS and not inp.args:  # their menu's entry: which order, or the list
            return await carries_any(ctx)
    elif inp.kind is Kind.choice:
        parts = (inp.choice or "").split(":")
        if parts[0] == "o" and len(parts) >= 3 and parts[2] in TRIP_VERBS:
            number = parts[1]
        elif parts[0] == "s" and step is not None:
            number = ctx.data.get(step)
    elif inp.kind is not Kind.payment and step is not None:
        number = ctx.data.get(step)
    return number is not None and await finishing(ctx, number)


async def carries_any(ctx: Ctx, *where: Any) -> bool:
    """The sender carries some order picked up or delivered (one `where` says too)."""
    return await ctx.uow.session.scalar(select(OrderRow.id).where(
        OrderRow.runner_id == ctx.user_id, OrderRow.status.in_(FINISHING), *where).limit(1)) is not None


async def finishing(ctx: Ctx, number: object) -> bool:
    """The order numbered so ('12', '#12', as parse_id reads it) is one the sender carries picked up or delivered."""
    order_id = record_id(without_number_sign(str(number).strip()))
    return order_id is not None and await carries_any(ctx, OrderRow.id == order_id)


async def route(ctx: Ctx) -> None:
    inp = ctx.input
    if (barred(ctx.campus, ctx.user) and inp.kind is not Kind.payment and not left_to_suspended(ctx)
            and not await trip_left_to_suspended(ctx)):
        ctx.say("error-suspended")
        return
    if inp.kind is Kind.payment:
        assert ROUTER.payment is not None
        await ROUTER.payment(ctx)
    elif inp.kind is Kind.command:
        command = ROUTER.commands.get(inp.command or "")
        if command is None:
            # Quoted short: a command name can be a whole message long, past what a catalogue placeable takes.
            ctx.say("error-unknown-command", command=quoted(inp.command or ""))
        elif command.operator_only and not ctx.is_operator:
            ctx.say("error-operators-only")
        elif command.relays_text and inp.chat is not None:
            # Typed in a group, the text was read by everyone there: neither passed on nor filed, whoever answers.
            ctx.say("error-group-relay", command=inp.command)
        elif (command.private_only and inp.chat is not None and not inp.answered_privately
              and not ((command.operator_only or command.operators_chat and ctx.is_operator) and in_admin_chat(ctx))
              and not ends_question_here(ctx)):
            ctx.say("error-private-only")
        else:
            said = len(ctx.replies)
            try:
                await command.handler(ctx)
            except DomainError as exc:  # a refusal, said by App._guard: headed as an answer would be
                if command.operator_only or command.operators_chat:
                    exc.heading = campus_heading(ctx)
                raise
            if command.operator_only or command.operators_chat:
                name_the_campus(ctx, said)
    elif inp.kind is Kind.choice:
        data = inp.choice or ""
        prefix = data.split(":", 1)[0]
        if prefix == "s":
            handler = ROUTER.states.get(ctx.state)
            if handler is None:
                ctx.say("error-stale-choice")
            else:
                await handler(ctx)
        elif prefix in ROUTER.actions:
            await ROUTER.actions[prefix](ctx)
        else:
            ctx.say("error-stale-choice")
    elif inp.chat is not None:
        # Chatter in a group is not for us, except an operator's answer, in their chat, to the question their step
        # asked there (a reason to reject, the runner to reassign to): a reply to that very question. An operator
        # replying to a question that does not wait for them (another operator's, or one whose step is over) is told
        # so, rather than left waiting for an outcome that never comes.
        answering = inp.answers is not None and inp.answers == ctx.data.get("_token")
        if answering and ctx.state.startswith("admin.") and in_admin_chat(ctx) and (
                handler := ROUTER.states.get(ctx.state)):
            await handler(ctx)
        elif inp.answers is not None and not answering and in_admin_chat(ctx) and ctx.is_operator:
            ctx.say("admin-question-not-yours")
    else:
        handler = ROUTER.states.get(ctx.state)
        if handler is not None:
            await handler(ctx)
        elif (idle := ROUTER.idle(inp.kind)) is not None:
            await idle(ctx)
