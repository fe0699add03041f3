"""Pricing rules from chat. /pricing, for operators: every rule with its amount, and which were changed from the
campus file's. /pricing set RULE AMOUNT changes one for the quotes from now on (an order already priced keeps its
price; a quote shown before is priced again when confirmed, and shown again if it changed); /pricing reset RULE goes
back to the file's. Kept in the database (storage.pricing_changes), so every process prices alike at once."""
from __future__ import annotations

from core import pricing_rules
from core.campus import Campus
from core.errors import InvalidInput
from core.money import MoneyError, format_yuan, percent_bp, written_yuan_to_fen
from handlers.admin import begin, record, tell_other_operators
from handlers.context import Ctx, quoted
from handlers.router import ROUTER
from storage import pricing_changes
from storage.models import PricingChange


def shown(rule: str, amount: int) -> str:
    """An amount as /pricing shows it, its unit (unit_of) said by the message: '15' for the commission's 15%,
    '3.00' for 3 yuan."""
    if rule == pricing_rules.COMMISSION:
        return f"{amount / 100:g}"
    return format_yuan(amount)


def unit_of(rule: str) -> str:
    return "percent" if rule == pricing_rules.COMMISSION else "yuan"


def typed_amount(rule: str, text: str) -> int:
    """'4', '4.5', '¥4', '4元' → fen; for the commission '15', '15%' or '15％' → basis points (any number of them:
    pricing_rules.check says the range)."""
    try:
        if rule == pricing_rules.COMMISSION:
            return percent_bp(text.strip().removesuffix("％"))
        return written_yuan_to_fen(text)
    except MoneyError:
        raise InvalidInput("pricing-amount-invalid", text=quoted(text),
                           percent="yes" if rule == pricing_rules.COMMISSION else "no") from None


def window_of(campus: Campus, rule: str) -> str:
    """The hours a night or peak surcharge applies, '22:00–07:00'; '' for other rules."""
    kind, _, which = rule.partition(".")
    if kind not in ("night", "peak"):
        return ""
    window = campus.pricing.night if kind == "night" else campus.pricing.peaks[int(which) - 1]
    return f"{window.start.strftime('%H:%M')}–{window.end.strftime('%H:%M')}"


@ROUTER.command("pricing", operator_only=True)
async def pricing(ctx: Ctx) -> None:
    args = ctx.input.args
    verb = args[0].lower() if args else None
    if verb is None:
        await show_rules(ctx)
    elif verb == "set" and len(args) == 3:
        await set_rule(ctx, args[1], args[2])
    elif verb == "reset" and len(args) == 2:
        await reset_rule(ctx, args[1])
    else:
        raise InvalidInput("pricing-usage")


async def show_rules(ctx: Ctx) -> None:
    campus = ctx.campus
    changes = (await ctx.campus_changes()).rules
    now = await ctx.live_campus()
    lines = [ctx.t("pricing-title", campus=campus.name if ctx.t.language == "zh_CN" else campus.name_en)]
    for rule in pricing_rules.rule_names(campus):
        kind, _, which = rule.partition(".")
        file_amount = pricing_rules.value(campus, rule)
        lines.append(ctx.t("pricing-line", rule=rule, kind=kind, which=which, window=window_of(campus, rule),
                           unit=unit_of(rule),
                           amount=shown(rule, pricing_rules.value(now, rule)), file=shown(rule, file_amount),
                           changed="yes" if pricing_rules.stored_key(campus, rule) in changes else "no"))
    lines.append(ctx.t("pricing-how"))
    ctx.say_text("pricing-rules", "\n".join(lines))


def known_rule(campus: Campus, text: str) -> str:
    """The rule an operator named, refused (with the rules there are) when the campus has none of that name."""
    rule = text.lower()
    if rule not in pricing_rules.rule_names(campus):
        pricing_rules.check(campus, rule, 0)
    return rule


async def set_rule(ctx: Ctx, text: str, amount_text: str) -> None:
    begin(ctx)
    campus = ctx.campus
    rule = known_rule(campus, text)  # before the amount: its kind decides how it is read
    amount = typed_amount(rule, amount_text)
    pricing_rules.check(campus, rule, amount)
    await pricing_changes.change(ctx.uow.session, PricingChange(
        campus_id=campus.id, rule=pricing_rules.stored_key(campus, rule), amount=amount, changed_by=ctx.user_id,
        changed_at=ctx.now))
    await record(ctx, "pricing_set", f"pricing:{ctx.campus.id}:{rule}", amount=amount)
    args = {"rule": rule, "unit": unit_of(rule), "amount": shown(rule, amount),
            "file": shown(rule, pricing_rules.value(campus, rule))}
    ctx.say("pricing-set", **args)
    await tell_other_operators(ctx, "pricing-set-by", **args)


async def reset_rule(ctx: Ctx, text: str) -> None:
    begin(ctx)
    campus = ctx.campus
    rule = known_rule(campus, text)
    if not await pricing_changes.reset(ctx.uow.session, campus.id, pricing_rules.stored_key(campus, rule)):
        raise InvalidInput("pricing-not-changed", rule=rule)
    await record(ctx, "pricing_reset", f"pricing:{ctx.campus.id}:{rule}")
    args = {"rule": rule, "unit": unit_of(rule), "file": shown(rule, pricing_rules.value(campus, rule))}
    ctx.say("pricing-reset", **args)
    await tell_other_operators(ctx, "pricing-reset-by", **args)
