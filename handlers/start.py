"""Start, language, the main menu and help."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.errors import DomainError
from handlers.context import Ctx
from handlers.io import Kind
from handlers.notify import money_args, named_operator_of, plain_args
from handlers.orders import campus_name
from handlers.router import ROUTER
from locales import LANGUAGES
from storage.models import Order as OrderRow
from storage.runners_repo import is_active_runner

# /start c-<campus id>: the link a campus hands out (its task hall's "open the bot" button is one). A channel that
# has start links passes the payload as the command's argument.
JOIN_PREFIX = "c-"

RESUME = "_resume"  # the conversation state /language interrupted


async def menu(ctx: Ctx) -> None:
    """The main menu: what a student can do next, and an active runner's own row (the open orders, their income),
    since a channel without a command menu (WeChat) shows runners nothing else."""
    rows = [
        [ctx.button("menu-order", "m:order"), ctx.button("menu-my-orders", "m:orders")],
        [ctx.button("menu-wallet", "m:wallet"), ctx.button("menu-help", "m:help")],
    ]
    if is_active_runner(await ctx.runner_profile(), ctx.user.suspended):
        rows.append([ctx.button("menu-nearby", "m:nearby"), ctx.button("menu-income", "m:income")])
    ctx.say("menu-title", choices=rows)


async def has_own_menu(ctx: Ctx) -> bool:
    """Operators and active runners have a command menu of their own chat whatever their language."""
    if ctx.is_operator:
        return True
    return is_active_runner(await ctx.runner_profile(), ctx.user.suspended)


async def join_campus(ctx: Ctx) -> None:
    """Someone who came by a campus's link joins that campus, unless they already have orders or a runner
    application where they are (moving those is for an operator): then they are told where they stay. An operator
    a campus file names moves only among the campuses that name them."""
    payload = ctx.input.args[0] if ctx.input.args else ""
    campus_id = payload.removeprefix(JOIN_PREFIX) if payload.startswith(JOIN_PREFIX) else None
    if campus_id is None or campus_id == ctx.user.campus_id or campus_id not in ctx.services.campuses:
        return
    named = named_operator_of(ctx.services, ctx.user.channel, ctx.user.external_id)
    if named and campus_id not in named:  # an operator belongs to a campus whose file names them (home_campus)
        return
    if ctx.user.is_operator:  # flagged an operator of the campus they are on (is_operator): a public link moves no one
        return
    # Their orders keep their own campus; an operator of both moves between them whatever they ordered.
    ordered = None if named else await ctx.uow.session.scalar(
        select(OrderRow.id).where(OrderRow.customer_id == ctx.user_id).limit(1))
    if ordered is not None or await ctx.runner_profile() is not None:
        ctx.say("start-campus-kept", campus=campus_name(ctx.campus, ctx.user.language))
        return
    ctx.user.campus_id = campus_id


@ROUTER.command("start")
async def start(ctx: Ctx) -> None:
    await join_campus(ctx)
    if await has_own_menu(ctx):  # staff who (re)start the bot get their chat's menu, set or not at launch
        await ctx.notify.menu(ctx.user_id)
    ctx.reset()
    ctx.go("start.language")
    ctx.say("start-welcome", name=ctx.user.display_name or ctx.user.external_id,
            campus=campus_name(ctx.campus, ctx.user.language),
            choices=[[ctx.step("language-name", lang, lang=lang) for lang in LANGUAGES]])


@ROUTER.state("start.language")
async def choose_language(ctx: Ctx) -> None:
    if ctx.input.choice is None:
        ctx.say("start-pick-language", choices=[[ctx.step("language-name", lang, lang=lang) for lang in LANGUAGES]])
        return
    language = ctx.step_value(ctx.input.choice)
    if language not in LANGUAGES:
        ctx.say("error-stale-choice")
        return
    changed = language != ctx.user.language
    ctx.user.language = language
    if changed:
        # Everyone's menu speaks their language: staff's own, and a student's too (the channel gives a student who
        # left the shared menu's language a menu of their own chat, and takes it back when they return).
        await ctx.notify.menu(ctx.user_id)
    ctx.say("start-language-set")
    if not await resume_form(ctx, ctx.data.get(RESUME) or "", **{RESUME: None}):
        ctx.reset()
        await menu(ctx)


async def resume_form(ctx: Ctx, state: str, **data: Any) -> bool:
    """The form that waited in `state` (its answers still in the conversation's data) carries on there, asking its
    question again (ROUTER.asks_again); `data`: changes to the data on the way. False, changing nothing, when no
    form waits in such a state."""
    ask_again = ROUTER.question(state)
    if ask_again is None:
        return False
    ctx.go(state, **data)
    said = len(ctx.replies)
    try:
        async with ctx.uow.session.begin_nested():
            await ask_again(ctx)
    except DomainError as exc:
        # The form cannot ask its question now (the service closed meanwhile, say): what was done before stands
        # (the language chosen, the rating saved), the form stays at its step, and why is said. Refused, the whole
        # input would roll back, leaving them where they were, every answer refused again.
        del ctx.replies[said:]
        ctx.say(exc.key, **money_args(plain_args(exc)))
    return True


def step_under_way(ctx: Ctx) -> str:
    """The conversation's step: the one the language picker interrupted while it is open (it carries on there), else
    the current one."""
    return ctx.data.get(RESUME) or "" if ctx.state == "start.language" else ctx.state


@ROUTER.command("language", "lang")
async def language(ctx: Ctx) -> None:
    """The language picker; a form it interrupts keeps its answers and carries on in the language chosen."""
    ctx.go("start.language", **{RESUME: step_under_way(ctx)})
    ctx.say("start-pick-language", choices=[[ctx.step("language-name", lang, lang=lang) for lang in LANGUAGES]])


@ROUTER.command("menu", "stop")
async def show_menu(ctx: Ctx) -> None:
    ctx.reset()
    await menu(ctx)


@ROUTER.command("help", operators_chat=True)
async def show_help(ctx: Ctx) -> None:
    if ctx.chat_campus is not None:  # an operator in the operators' chat: their commands, not a student's
        ctx.say("admin-help")
        return
    profile = await ctx.runner_profile()
    # The runners' commands as the command menu has them (is_active_runner); /apply for whoever is no runner yet.
    if profile is None:
        ctx.say("help-student")
    elif profile.status == "approved":
        ctx.say("help-student-runner")
    else:
        ctx.say("help-student-applied", status=profile.status)
    if is_active_runner(profile, ctx.user.suspended):
        ctx.say("help-runner")
    if ctx.is_operator:
        ctx.say("help-operator")


async def idle(ctx: Ctx) -> None:
    ctx.say("idle-hint")
    await menu(ctx)


ROUTER.idle_default = idle


@ROUTER.idle_input(Kind.other)
async def unreadable(ctx: Ctx) -> None:
    """A sticker, a voice note, a file… with nothing going on: say what the bot reads, rather than not understanding."""
    ctx.say("idle-unreadable")
    await menu(ctx)
