"""/credit: an operator looks at a runner's credit score and its recent changes, or changes it by hand (with a
reason the runner is told), e.g. to take back a penalty a runner should not have had."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from core import credit
from core.campus import CreditEvent
from core.errors import InvalidInput
from handlers.admin import MAX_REASON, ask, begin, leading_user, local_time, record, who
from handlers.context import Ctx, free_text, quoted
from handlers.hall import end_offers_past_limit
from handlers.router import ROUTER
from storage.models import CreditRecord, OperatorAction, RunnerProfile, User

HISTORY = 5  # recent changes /credit lists
# A change is written with its sign, so "-10" is never read as "set it to 10": digits of any keyboard (full-width
# too) and the plus and minus signs a phone or a Chinese keyboard types.
_CHANGE = re.compile(r"^([+＋]|[-−－])\s*(\d{1,4})$")


def signed_change(text: str) -> int | None:
    match = _CHANGE.fullmatch(text.strip())
    if match is None or not match[2].isdecimal():
        return None
    number = int("".join(str(int(c)) for c in match[2]))
    return number if match[1] in "+＋" else -number


async def runner_profile(ctx: Ctx, words: list[str]) -> tuple[User, RunnerProfile, list[str]]:
    """A runner of this campus (approved, suspended or not) by how operators name people, and the words after."""
    user, rest = await leading_user(ctx, words, runners=True)
    profile = await ctx.uow.runners.get(user.id)  # type: ignore[arg-type]
    if profile is None or profile.status != "approved":
        raise InvalidInput("admin-credit-not-runner", who=who(user))
    return user, profile, rest


async def show(ctx: Ctx, user: User, profile: RunnerProfile) -> None:
    """The score, its standing, whether the account is suspended (/suspend: no orders, whatever the score says),
    and the recent changes, a change by hand with the operator who made it and why."""
    rows = list(await ctx.uow.session.scalars(
        select(CreditRecord).where(CreditRecord.runner_id == profile.user_id)
        .order_by(CreditRecord.at.desc(), CreditRecord.id.desc()).limit(HISTORY)))
    by_hand = await adjustments(ctx, profile.user_id,
                                [r for r in rows if r.event == CreditEvent.operator_adjustment.value])
    lines = []
    for r in rows:
        action, operator = by_hand.get(r.id, by_hand.get((r.at, r.score_after), (None, None)))
        lines.append(ctx.t("admin-credit-line", time=local_time(ctx.campus, r.at), event=r.event,
                           change=f"{r.change:+d}", score=r.score_after,
                           order=str(r.order_id) if r.order_id else "none",
                           by=who(operator) if action is not None else "none",
                           reason=str((action.details or {}).get("reason") or "") if action is not None else ""))
    ctx.say("admin-credit", who=who(user), history="\n".join(lines) or ctx.t("admin-credit-no-history"),
            suspended="yes" if user.suspended or profile.suspended else "no",
            **credit.told_score(ctx.campus.credit, profile.credit))


async def adjustments(ctx: Ctx, runner_id: int, rows: list[CreditRecord]
                      ) -> dict[int | tuple[dt.datetime, int], tuple[OperatorAction, User | None]]:
    """The operator's record (OperatorAction) of each change made by hand, and who made it, by the credit record's
    id its details name (credit_cmd). One written before they named it is found by when it was made and the score
    it left (both written in one transaction, at its time), which two changes in one instant could share."""
    if not rows:
        return {}
    found = await ctx.uow.session.execute(
        select(OperatorAction, User).outerjoin(User, User.id == OperatorAction.operator_id)
        .where(OperatorAction.action == "credit", OperatorAction.target == f"user:{runner_id}",
               OperatorAction.at.in_({r.at for r in rows})))
    by_hand: dict[int | tuple[dt.datetime, int], tuple[OperatorAction, User | None]] = {}
    for action, operator in found:
        details = action.details or {}
        key = details.get("credit_record") or (action.at, details.get("after"))
        by_hand[key] = (action, operator)
    return by_hand


@ROUTER.command("credit", operator_only=True)
async def credit_cmd(ctx: Ctx) -> None:
    begin(ctx)
    args = ask(ctx, "admin-usage-credit", 1)
    user, profile, args = await runner_profile(ctx, args)
    if not args:
        await show(ctx, user, profile)
        return
    rules = ctx.campus.credit
    change = signed_change(args[0])
    widest = rules.maximum - rules.minimum
    if change is None:
        raise InvalidInput("admin-credit-change-invalid", text=quoted(args[0]))
    if not 0 < abs(change) <= widest:
        raise InvalidInput("admin-credit-change-range", max=widest)
    reason = free_text(" ".join(args[1:]), limit=MAX_REASON)
    if not reason:  # the runner is told why their score moved
        raise InvalidInput("admin-credit-reason")
    # Locked while it changes, so the change recorded and told is the one made: what the bounds leave of it.
    before = await ctx.uow.session.scalar(
        select(RunnerProfile.credit).where(RunnerProfile.user_id == profile.user_id).with_for_update())
    made = credit.adjust(rules, before, change) - before
    if made == 0 or (made > 0) != (change > 0):  # nothing moves, or only back into bounds a file change narrowed
        raise InvalidInput("admin-credit-at-bound", who=who(user), credit=before)
    changed = await ctx.uow.runners.apply_credit(ctx.campus, profile.user_id, CreditEvent.operator_adjustment,
                                                 ctx.now, change=made)
    await ctx.uow.session.flush()  # its id, which the operator's record names
    after = changed.score_after
    await record(ctx, "credit", f"user:{profile.user_id}", change=made, before=before, after=after, reason=reason,
                 credit_record=changed.id)
    told = credit.told_score(rules, after)
    await ctx.notify.user(profile.user_id, "runner-credit-adjusted", change=f"{made:+d}", reason=reason, **told)
    # Offers their Accept would now refuse go to the hall.
    await end_offers_past_limit(ctx.services, ctx.uow, ctx.campus, profile.user_id, ctx.now)
    ctx.say("admin-credit-adjusted", who=who(user), before=before, clamped="yes" if made != change else "no",
            **told)
