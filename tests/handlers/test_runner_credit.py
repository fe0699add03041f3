"""/credit: an operator sees a runner's credit and its recent changes, and changes it by hand with a reason the
runner is told; what cannot be a change, or names no runner, is refused and changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.campus import CreditEvent
from storage.models import CreditRecord, RunnerProfile
from storage.uow import UnitOfWork
from tests.factories import make_runner, make_user
from tests.handlers.harness import keys
from tests.handlers.test_admin import OP, actions, external, get, operator, operator_speaking


async def credit_of(db, runner: int) -> int:
    return (await get(db, RunnerProfile, runner)).credit


async def records(db, runner: int) -> list[tuple[str, int, int]]:
    async with UnitOfWork(db) as uow:
        rows = await uow.session.scalars(
            select(CreditRecord).where(CreditRecord.runner_id == runner).order_by(CreditRecord.id))
        return [(r.event, r.change, r.score_after) for r in rows]


async def ids_of_records(db, runner: int) -> list[int]:
    async with UnitOfWork(db) as uow:
        return list(await uow.session.scalars(
            select(CreditRecord.id).where(CreditRecord.runner_id == runner).order_by(CreditRecord.id)))


async def test_an_operator_takes_back_a_penalty_and_the_runner_is_told_why(chat, db, campus, clock):
    op = await operator(chat)
    runner = await make_runner(db, campus, clock.now, credit=75)  # standing "warning" (below 80)
    name = await external(db, runner)
    await chat.send(name, "/start")
    await chat.inbox(name)

    replies = await chat.send(OP, f"/credit #{runner} +10 the shop was closed, not their fault")
    assert keys(replies) == ["admin-credit-adjusted"]
    assert "75 → 85" in replies[0].text and "good" in replies[0].text
    assert await credit_of(db, runner) == 85
    assert await records(db, runner) == [(CreditEvent.operator_adjustment.value, 10, 85)]
    told = await chat.inbox(name)
    assert [m["key"] for m in told] == ["runner-credit-adjusted"]
    assert "+10" in told[0]["text"] and "85" in told[0]["text"] and "the shop was closed" in told[0]["text"]
    [action] = [a for a in await actions(db) if a.action == "credit"]
    assert (action.operator_id, action.target) == (op, f"user:{runner}")
    [made] = await ids_of_records(db, runner)
    assert action.details == {"change": 10, "before": 75, "after": 85, "reason": "the shop was closed, not their fault",
                              "credit_record": made}  # the change it made, by id (/credit's history links them)


async def test_the_score_stops_at_its_bounds_and_the_operator_and_runner_see_the_real_change(chat, db, campus, clock):
    await operator(chat)
    runner = await make_runner(db, campus, clock.now, credit=145)  # demo campus: maximum 150
    name = await external(db, runner)
    replies = await chat.send(OP, f"/credit #{runner} ＋20 helped at the fair")  # a Chinese keyboard's plus
    assert keys(replies) == ["admin-credit-adjusted"]
    assert "145 → 150" in replies[0].text and "highest" in replies[0].text
    assert await credit_of(db, runner) == 150
    assert "+5" in [m for m in await chat.inbox(name) if m["key"] == "runner-credit-adjusted"][0]["text"]
    assert await records(db, runner) == [(CreditEvent.operator_adjustment.value, 5, 150)]  # the change made


async def test_credit_shows_the_score_and_its_recent_changes_newest_first(chat, db, campus, clock):
    await operator(chat)
    runner = await make_runner(db, campus, clock.now)
    async with UnitOfWork(db) as uow:
        await uow.runners.apply_credit(campus, runner, CreditEvent.pickup_timeout, clock.now, order_id=7)
    clock.advance(minutes=5)
    async with UnitOfWork(db) as uow:
        await uow.runners.apply_credit(campus, runner, CreditEvent.five_star, clock.now, order_id=8)
    replies = await chat.send(OP, f"/credit #{runner}")
    assert keys(replies) == ["admin-credit"]
    text = replies[0].text
    assert "credit score 91 (good)" in text
    assert text.index("five-star rating → 91 · order #8") < text.index("-10 not picked up in time → 90 · order #7")
    assert await records(db, runner) == [("pickup_timeout", -10, 90), ("five_star", 1, 91)]  # looking changes nothing


async def test_credit_says_a_suspended_account_and_who_changed_the_score_by_hand_and_why(chat, db, campus, clock):
    """Before, a suspended runner's /credit said "good" (the standing is the score's) and a change by hand was only
    "changed by an operator", whoever made it and for whatever reason."""
    await operator(chat)
    runner = await make_runner(db, campus, clock.now)
    name = await external(db, runner)
    await chat.send(OP, f"/credit {name} -10 late twice")
    clock.advance(minutes=5)
    async with UnitOfWork(db) as uow:  # an event of the service's own at the same score, after it
        await uow.runners.apply_credit(campus, runner, CreditEvent.five_star, clock.now, order_id=8)
    await chat.send(OP, f"/suspend {name} stealing")
    (shown,) = await chat.send(OP, f"/credit {name}")
    assert "credit score 91 (good). Account suspended: they take no orders until /restore." in shown.text
    assert '-10 changed by an operator → 90 · by admin (#1): "late twice"' in shown.text
    assert "five-star rating → 91 · order #8\n" in shown.text + "\n"  # no operator on the service's own
    await operator_speaking(db, campus, clock.now, "zh_CN")
    (shown,) = await chat.send("dora", f"/credit {name}")
    assert "账号已暂停" in shown.text and "由 admin (#1) 操作：“late twice”" in shown.text
    await chat.send(OP, f"/restore {name}")
    assert "suspended" not in (await chat.send(OP, f"/credit {name}"))[0].text


async def test_changes_by_hand_in_one_instant_each_show_their_own_operator_and_reason(chat, db, campus, clock):
    """Before, a change was matched to the operator's record by its time and the score it left: +5, -5, +5 in one
    minute left 105 twice, and both +5 lines showed the third reason."""
    await operator(chat)
    runner = await make_runner(db, campus, clock.now)
    name = await external(db, runner)
    for line in ("+5 first reason", "-5 second reason", "+5 third reason"):
        assert keys(await chat.send(OP, f"/credit {name} {line}")) == ["admin-credit-adjusted"]
    (shown,) = await chat.send(OP, f"/credit {name}")
    history = [line.split(" · by ", 1)[1] for line in shown.text.splitlines() if " · by " in line]
    assert history == ['admin (#1): "third reason"', 'admin (#1): "second reason"', 'admin (#1): "first reason"']


async def test_a_change_by_hand_recorded_before_records_named_it_is_still_found(chat, db, campus, clock):
    # Rows written by the release before: the operator's record names no credit record, found by time and score.
    from sqlalchemy import update

    from storage.models import OperatorAction
    await operator(chat)
    runner = await make_runner(db, campus, clock.now)
    await chat.send(OP, f"/credit #{runner} -10 late twice")
    async with UnitOfWork(db) as uow:
        await uow.session.execute(update(OperatorAction).where(OperatorAction.action == "credit").values(
            details={"change": -10, "before": 100, "after": 90, "reason": "late twice"}))
    (shown,) = await chat.send(OP, f"/credit #{runner}")
    assert '-10 changed by an operator → 90 · by admin (#1): "late twice"' in shown.text


@pytest.mark.parametrize("args, refusal", [
    ("", "admin-usage-credit"),
    ("{runner} 10 reason", "admin-credit-change-invalid"),  # no sign: it could mean "set it to 10"
    ("{runner} +1.5 reason", "admin-credit-change-invalid"),
    ("{runner} +ten reason", "admin-credit-change-invalid"),
    ("{runner} +0 reason", "admin-credit-change-range"),
    ("{runner} -151 reason", "admin-credit-change-range"),  # more than the whole scale (0–150)
    ("{runner} -10", "admin-credit-reason"),
    ("{student} +10 reason", "admin-credit-not-runner"),
    ("{applicant} +10 reason", "admin-credit-not-runner"),
    ("#999999 +10 reason", "admin-user-not-found"),
])
async def test_what_is_no_change_or_names_no_runner_is_refused_and_changes_nothing(
        chat, db, campus, clock, args, refusal):
    await operator(chat)
    runner = await make_runner(db, campus, clock.now)
    student = await make_user(db, campus, clock.now, name="sam")
    applicant = await make_runner(db, campus, clock.now, approved=False)
    text = args.format(runner=f"#{runner}", student=f"#{student}", applicant=f"#{applicant}")
    assert keys(await chat.send(OP, f"/credit {text}".strip())) == [refusal]
    assert await credit_of(db, runner) == campus.credit.initial
    assert await records(db, runner) == []
    assert [a for a in await actions(db) if a.action == "credit"] == []


async def test_a_runner_dropped_below_the_grab_floor_loses_the_order_offered_to_them_alone(
        chat, services, db, campus, clock):
    from tests.handlers.test_runner import order_row, paid_order, person, runner

    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")
    await runner(db, campus, clock(), "otto")
    order_id = await paid_order(services, alice, favourite=fay)
    assert (await order_row(db, order_id)).offer_runner_id == fay
    await operator(chat)
    assert keys(await chat.send(OP, f"/credit #{fay} -50 no-shows")) == ["admin-credit-adjusted"]  # 100 → 50 < 60
    assert (await order_row(db, order_id)).offer_runner_id is None
    assert "hall-offer-ended" in [m["key"] for m in await chat.inbox("fay")]
    assert keys(await chat.press("otto", f"data:g:{order_id}", chat="hall:demo"))[0] == "grab-won"


@pytest.mark.parametrize(("language", "runner_told", "operator_told"), [
    ("en", "50 (below 60: you cannot take orders until it is back at 60)",
     "50 (below the grab floor of 60: cannot take orders)"),
    ("zh_CN", "50（低于接单门槛 60 分，回到 60 分之前不能接单）", "50（低于接单门槛 60 分，不能接单）"),
], ids=["en", "zh_CN"])
async def test_a_score_below_the_grab_floor_is_told_as_taking_no_orders_not_as_restricted(
        chat, db, campus, clock, language, runner_told, operator_told):
    """Demo campus: restricted below 70 (one order at a time), grab floor 60. At 50 the runner may take no order at
    all; before, /credit, its notice and /income called that "restricted" (受限)."""
    from tests.handlers.test_admin import operator_speaking
    from tests.handlers.test_runner import runner

    assert (campus.credit.grab_floor, campus.credit.thresholds.restricted) == (60, 70)
    await operator_speaking(db, campus, clock.now, language)
    fay = await runner(db, campus, clock(), "fay", language=language)
    (adjusted,) = await chat.send("dora", f"/credit #{fay} -50 no-shows")
    assert operator_told in adjusted.text
    (shown,) = await chat.send("dora", f"/credit #{fay}")
    assert operator_told in shown.text
    (told,) = [m for m in await chat.inbox("fay") if m["key"] == "runner-credit-adjusted"]
    assert runner_told in told["text"]
    (income,) = await chat.send("fay", "/income")
    assert runner_told in income.text
    assert (await chat.send("fay", "/nearby"))[0].key == "not-eligible-credit"  # as they are told: none at all


async def test_credit_in_chinese(chat, db, campus, clock):
    await chat.send(OP, "/start")  # the operator never picks English
    runner = await make_runner(db, campus, clock.now)
    replies = await chat.send(OP, f"/credit #{runner} -5 态度差")
    assert keys(replies) == ["admin-credit-adjusted"]
    assert "信用分 100 → 95（良好）" in replies[0].text


async def test_a_change_the_bound_swallows_whole_is_refused_and_the_runner_told_nothing(chat, db, campus, clock):
    await operator(chat)
    top = await make_runner(db, campus, clock.now, credit=campus.credit.maximum)
    name = await external(db, top)
    await chat.send(name, "/start")
    await chat.inbox(name)
    assert keys(await chat.send(OP, f"/credit #{top} +10 helped at the fair")) == ["admin-credit-at-bound"]
    assert [m for m in await chat.inbox(name) if m["key"] == "runner-credit-adjusted"] == []
    assert await records(db, top) == []


async def test_a_runner_restricted_by_credit_loses_the_offer_their_accept_would_refuse(
        chat, services, db, campus, clock):
    # Before, only a runner dropped below the grab floor lost their offers: one now restricted to carrying one
    # order kept an offer their Accept refused, and nobody else could grab it until it ran out.
    from tests.handlers.test_runner import order_row, paid_order, person, runner, won_order

    await operator(chat)
    alice = await person(db, campus, clock(), "alice")
    fay = await runner(db, campus, clock(), "fay")
    await won_order(chat, services, alice, "fay")  # she carries one
    offered = await paid_order(services, alice, favourite=fay)
    assert (await order_row(db, offered)).offer_runner_id == fay
    restricted = campus.credit.thresholds.restricted - 1
    assert restricted >= campus.credit.grab_floor  # she may still grab: only her carry limit falls
    change = campus.credit.initial - restricted
    assert keys(await chat.send(OP, f"/credit #{fay} -{change} three no-shows")) == ["admin-credit-adjusted"]
    assert (await order_row(db, offered)).offer_runner_id is None
