"""Service hours and pauses. /hours, for everyone: the campus's hours and whether ordering is open now. For
operators: /hours set changes the hours from chat, in place of the campus file's (design §7), until /hours reset;
/pause and /resume stop new orders for a while (rain, too few runners), whatever the hours say. Orders placed before
go on as usual either way. Both are kept in the database (storage.hours_changes, storage.service_pauses), so every
process acts on them at once."""
from __future__ import annotations

import datetime as dt
import re

from core import service_hours
from core.campus import Campus
from core.durations import LOOKS_LIKE_TIME, written_minutes
from core.errors import InvalidInput
from core.numbers import CLOCK, ascii_digits
from handlers.admin import MAX_REASON, begin, record, tell_other_operators
from handlers.context import Ctx, free_text, quoted
from handlers.ordering import hours_text, in_service_hours, window_offers
from handlers.paused import pause_args
from handlers.router import ROUTER
from storage import hours_changes, service_pauses
from storage.models import HoursChange, ServicePause

MAX_PAUSE = dt.timedelta(days=3)  # a longer closure (a holiday) is a change of the hours: /hours set
CLOCK_ONLY = re.compile(CLOCK)
UNTIL_WORDS = ("until", "till", "到", "至")  # before a time of day: 'until 18:00', '到 18:00'
UNTIL_JOINED = re.compile(r"(?:到|至)(.+)")  # '到18:00'
MAX_WHEN_WORDS = 6  # the most words a length of time takes: '2 days 3 hours 30 minutes', 'an hour and a half'
# Words before an end that say nothing of it: 'for 30 minutes', 'for the next 2 hours', 'about 2 hours', '大约 两小时'.
LEAD_WORDS = ("for", "next", "the", "another", "about", "around", "approximately", "approx", "大约", "大概", "约")
# How many of the first words are looked at for a time or a number that could not be read: '5 runners left' (a
# bare number: 5 minutes?), 'rain for 2 hours', 'two runners sick'. One of them there refuses the pause.
FEW_WORDS = 3
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                "fifteen", "twenty", "thirty", "forty", "forty-five", "fifty", "sixty", "ninety", "half", "quarter")
UNIT_WORDS = ("hour", "hours", "hr", "hrs", "minute", "minutes", "min", "mins", "day", "days", "week", "weeks")
# Number words that are ordinary words too ('one moment please', 'half the runners are sick'): first, they refuse
# only with a unit of time just after ('one more hour').
ORDINARY_NUMBER_WORDS = ("one", "half", "quarter")
# A time of day or a day, which /pause cannot read but in 'HH:MM': first, it would be taken for the reason. Chinese
# is not spaced apart: a day word there is one only as the whole word or before a time ('下午6点', '明天早上'), not
# in '今天下雨', '晚上停电'.
DAY_TIME_WORDS = re.compile(r"(?:today|tonight|tomorrow|noon|midnight|morning|afternoon|evening)\b|"
                            r"(?:今天|今晚|明天|明早|明晚|后天|上午|下午|中午|晚上|早上|早晨|傍晚|凌晨|半夜|夜里)+"
                            rf"(?:$|(?={LOOKS_LIKE_TIME.pattern}))|"
                            # A coming day always names an end ('明天恢复': back tomorrow), never a reason.
                            r"(?:明天|明早|明晚|明日|后天)")
# Stuck to the word ending a length or a time ('2h, rain', '两小时，下雨', 'until 18:00.'), and what joins it to a reason.
END_PUNCTUATION = ",，.。:：;；"
JOINED_REASON = re.compile(r"(.+?[,，])(.+)")
# Words right after an end that say nothing of it ('到 18:00 为止', 'an hour or so'): no reason to show students.
FILLER_AFTER_END = (("为止",), ("前",), ("左右",), ("ish",), ("or", "so"))
# A Chinese number with a unit of time anywhere in a word ('下雨两小时'): words are not spaced apart in Chinese.
CHINESE_LENGTH = re.compile(r"[\d零〇一二两俩三四五六七八九十百半]+个?(?:小时|钟头|分钟|刻钟|天|星期|礼拜|点)")
QUOTES = "\"'“”‘’「」『』"  # a reason in quotes is a reason, whatever it starts with


@ROUTER.command("hours", operators_chat=True)  # beside /pause and /resume in the operators' help
async def hours(ctx: Ctx) -> None:
    """/hours: the hours; /hours set WINDOWS and /hours reset: the operators' change of them."""
    args = ctx.input.args
    if not args:
        await show_hours(ctx)
    elif args[0].lower() == "set" and len(args) > 1:
        await set_hours(ctx, " ".join(args[1:]))
    elif args[0].lower() == "reset" and len(args) == 1:
        await reset_hours(ctx)
    else:
        ctx.require_operator()  # a student's "/hours foo" is told what they may do, not how to change the hours
        raise InvalidInput("hours-usage")


async def show_hours(ctx: Ctx) -> None:
    campus = await ctx.live_campus()
    ctx.say("hours-info", hours=hours_text(ctx.t, campus))
    if ctx.is_operator:  # whose hours they are: the operators' own from chat, or the campus file's
        kept = (await ctx.campus_changes()).hours  # as live_campus reads it: unreadable, the file's hours hold
        ctx.say("hours-source", changed="yes" if kept and service_hours.loads(kept) else "no")
    pause = await service_pauses.current(ctx.uow.session, ctx.campus.id, ctx.now)
    if pause is not None:
        ctx.say("order-paused", **pause_args(ctx, pause))
    elif in_service_hours(campus, ctx.now):
        ctx.say("hours-open")
    else:  # as /order would answer: an errand may be scheduled only within the next hours still open today
        ctx.say("hours-closed", later="yes" if window_offers(ctx, campus) else "no")


async def set_hours(ctx: Ctx, text: str) -> None:
    ctx.require_operator()
    begin(ctx)
    windows = service_hours.parse(text)
    await hours_changes.change(ctx.uow.session, HoursChange(
        campus_id=ctx.campus.id, windows=service_hours.dumps(windows), changed_by=ctx.user_id, changed_at=ctx.now))
    await record(ctx, "hours_set", f"campus:{ctx.campus.id}", windows=service_hours.plain(windows))
    await hours_changed(ctx, "hours-set", service_hours.with_hours(ctx.campus, windows))


async def reset_hours(ctx: Ctx) -> None:
    ctx.require_operator()
    begin(ctx)
    if not await hours_changes.reset(ctx.uow.session, ctx.campus.id):
        raise InvalidInput("hours-not-changed")
    await record(ctx, "hours_reset", f"campus:{ctx.campus.id}")
    await hours_changed(ctx, "hours-reset", ctx.campus)


async def hours_changed(ctx: Ctx, key: str, campus: Campus) -> None:
    """The operator is told the campus's hours now and whether ordering is open (or paused, whatever the hours), and
    so are the other operators (in their chat's language). Orders placed before keep their times; a draft's time is
    checked against the new hours when it is chosen and again at Confirm."""
    paused = await service_pauses.current(ctx.uow.session, ctx.campus.id, ctx.now) is not None
    open_now = "paused" if paused else "yes" if in_service_hours(campus, ctx.now) else "no"
    ctx.say(key, hours=hours_text(ctx.t, campus), open=open_now)
    await tell_other_operators(ctx, f"{key}-by", hours=lambda t: hours_text(t, campus), open=open_now)


def clock_end(ctx: Ctx, when: str, said: str) -> dt.datetime:
    """'18:00' → its next 18:00 in campus time ('24:00': the end of today, as /hours set reads it); anything else is
    refused, quoting what was `said`."""
    m = CLOCK_ONLY.fullmatch(when)
    if m is None:
        raise InvalidInput("admin-pause-when-invalid", text=quoted(said))
    local = ctx.now.astimezone(ctx.campus.tz)
    if (int(m[1]), int(m[2])) == (24, 0):
        return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), ctx.campus.tz)
    try:
        at = dt.datetime.combine(local.date(), dt.time(int(m[1]), int(m[2])), ctx.campus.tz)
    except ValueError:  # 25:00
        raise InvalidInput("admin-pause-when-invalid", text=quoted(said)) from None
    return at if at > ctx.now else at + dt.timedelta(days=1)


def starts_a_length(words: tuple[str, ...]) -> int:
    """How many of the words (one or two) make a length of time with its unit ('75 分钟', '2h'), or 0."""
    for n in (1, 2):
        said = " ".join(words[:n])
        if len(words) >= n and written_minutes(said) is not None and not ascii_digits(said).isdigit():
            return n
    return 0


def pause_end(ctx: Ctx, args: tuple[str, ...]) -> tuple[dt.datetime | None, tuple[str, ...]]:
    """When the pause ends, read from its first words, and the words after (the reason): a time of day ('18:00',
    'until 18:00', '到18:00'), a length of time with every number and unit it is written in (core.durations:
    '30m', '1 小时 30 分钟', '两小时', 'half an hour'), either perhaps after words that say nothing of it ('for 30
    minutes', 'next 2 hours', 'about 2 hours'), or None (until /resume). What cannot be read is refused, never taken
    into the reason: a '/pause 两小时' that paused until resumed, showing students '两小时', would keep the campus
    closed overnight. So is a time or a number among the first few words that is no end ('rain for 2 hours',
    '下午6点', 'tomorrow'), a bare number followed by another word ('5 runners left' is no 5 minutes) and a length
    followed by another ('1 小时 75 分钟': no hour and a reason '75 分钟'). A reason in quotes is taken as it is."""
    if not args:
        return None, args
    if args[0][:1] in QUOTES:  # '/pause "5 runners left"': until /resume, the reason without its quotes
        return None, tuple(" ".join(args).strip(QUOTES).split())
    lead = 0
    while lead < min(len(args) - 1, 3) and args[lead].casefold() in LEAD_WORDS:
        lead += 1
    if (end := read_end(ctx, args[lead:])) is not None:
        return end[0], without_filler(end[1])
    if unread := unreadable_start(args[lead:]):
        raise InvalidInput("admin-pause-when-invalid", text=quoted(" ".join(args[:lead + unread])))
    return None, args


def without_filler(args: tuple[str, ...]) -> tuple[str, ...]:
    """The words after an end without the filler that starts them ('为止', 'or so')."""
    for filler in FILLER_AFTER_END:
        if tuple(w.casefold().rstrip(END_PUNCTUATION) for w in args[:len(filler)]) == filler:
            return args[len(filler):]
    return args


def bare(text: str) -> str:
    """The words ending a length or a time without the punctuation stuck to them ('2 hours.', '18:00，')."""
    return text.rstrip(END_PUNCTUATION)


def read_end(ctx: Ctx, args: tuple[str, ...]) -> tuple[dt.datetime, tuple[str, ...]] | None:
    """The end the words start with and the words after it, or None when they start with none. A reason joined to
    the end by a comma ('两小时，下雨', '30分钟,下雨') is taken apart from it."""
    for i, word in enumerate(args[:MAX_WHEN_WORDS]):
        if joined := JOINED_REASON.fullmatch(word):
            apart = (*args[:i], joined[1], joined[2], *args[i + 1:])
            end = read_end_apart(ctx, apart)
            # Only when the end is what comes before the comma: 'rain,cold' after it is a reason as written.
            if end is not None and len(end[1]) == len(apart) - i - 1:
                return end
            break
    return read_end_apart(ctx, args)


def read_end_apart(ctx: Ctx, args: tuple[str, ...]) -> tuple[dt.datetime, tuple[str, ...]] | None:
    if not args:
        return None
    first = bare(args[0])
    if first.casefold() in UNTIL_WORDS and len(args) > 1 and LOOKS_LIKE_TIME.match(args[1]):
        return clock_end(ctx, bare(args[1]), " ".join(args[:2])), args[2:]
    if (m := UNTIL_JOINED.fullmatch(first)) and LOOKS_LIKE_TIME.match(m[1]):
        return clock_end(ctx, m[1], args[0]), args[1:]
    if CLOCK_ONLY.fullmatch(first):
        return clock_end(ctx, first, args[0]), args[1:]
    for n in range(min(len(args), MAX_WHEN_WORDS), 0, -1):  # the longest start that reads as a length
        minutes = written_minutes(bare(" ".join(args[:n])))
        if minutes is not None:
            if n == 1 and ascii_digits(first).isdigit() and len(args) > 1:  # '5 runners left', '2 more hours'
                raise InvalidInput("admin-pause-when-invalid", text=quoted(" ".join(args[:2])))
            if another := starts_a_length(args[n:]):
                raise InvalidInput("admin-pause-when-invalid", text=quoted(" ".join(args[:n + another])))
            if args[n:] and ascii_digits(" ".join(args[n:])).isdigit():  # '1h 30': 1h30, or a reason '30'?
                raise InvalidInput("admin-pause-when-invalid", text=quoted(" ".join(args[:n + 1])))
            return ctx.now + dt.timedelta(minutes=minutes), args[n:]
    return None


def unreadable_start(args: tuple[str, ...]) -> int:
    """How many of the words, up to the first that is a time or a number (a digit; a number or a unit of time in
    words where it could start a length: first, or after a number, or a number before a unit; a time of day or a
    day first, perhaps after 'until'), or 0 for none among the first few. 'exams this week' and 'one moment please'
    are reasons."""
    folded_words = [word.casefold().strip(",.;:!?，。；：！？") for word in args]
    for i, folded in enumerate(folded_words[:FEW_WORDS]):
        after_number = i > 0 and (folded_words[i - 1] in NUMBER_WORDS or folded_words[i - 1].isdigit())
        unit_next = [j for j in range(i + 1, i + 3) if j < len(args) and folded_words[j] in UNIT_WORDS]
        if LOOKS_LIKE_TIME.match(folded) or CHINESE_LENGTH.search(folded):
            return i + 1
        if folded in NUMBER_WORDS:
            if i == 0 and folded in ORDINARY_NUMBER_WORDS:  # 'one more hour', not 'one moment please'
                if unit_next:
                    return unit_next[0] + 1
            elif i == 0 or after_number or unit_next[:1] == [i + 1]:
                return i + 1
        if folded in UNIT_WORDS and (i == 0 or after_number):
            return i + 1
        until = UNTIL_JOINED.fullmatch(folded)
        if DAY_TIME_WORDS.match(until[1] if until else folded) and (i == 0 or args[i - 1].casefold() in UNTIL_WORDS):
            return i + 1
    return 0


@ROUTER.command("pause", operator_only=True)
async def pause(ctx: Ctx) -> None:
    """/pause [until or for how long] [reason]: no new orders until then, or until /resume."""
    begin(ctx)
    until, args = pause_end(ctx, ctx.input.args)
    if until is not None and until - ctx.now > MAX_PAUSE:
        raise InvalidInput("admin-pause-too-long", days=MAX_PAUSE.days)
    reason = free_text(" ".join(args), limit=MAX_REASON)
    paused = ServicePause(campus_id=ctx.campus.id, until=until, reason=reason, paused_by=ctx.user_id, paused_at=ctx.now)
    await service_pauses.pause(ctx.uow.session, paused)
    await record(ctx, "service_pause", f"campus:{ctx.campus.id}", until=until.isoformat() if until else None,
                 reason=reason)
    ctx.say("admin-paused", **pause_args(ctx, paused))
    await tell_other_operators(ctx, "admin-paused-by", **pause_args(ctx, paused))


@ROUTER.command("resume", operator_only=True)
async def resume(ctx: Ctx) -> None:
    begin(ctx)
    if not await service_pauses.resume(ctx.uow.session, ctx.campus.id, ctx.now):
        raise InvalidInput("admin-not-paused")
    await record(ctx, "service_resume", f"campus:{ctx.campus.id}")
    campus = await ctx.live_campus()
    ctx.say("admin-resumed", open="yes" if in_service_hours(campus, ctx.now) else "no", hours=hours_text(ctx.t, campus))
    await tell_other_operators(ctx, "admin-resumed-by")
