"""Script mode (replay a file, print the transcript and the final state) and interactive mode (a prompt)."""
from __future__ import annotations

import asyncio
import datetime as dt
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bot.console.lines import Line, LineError, parse_line
from bot.console.session import ConsoleSession
from core.money import format_yuan
from handlers.context import Services
from handlers.orders import status_words
from locales import Catalogue
from storage.models import Order as OrderRow
from storage.models import User
from storage.uow import UnitOfWork

EXIT_OK, EXIT_FAILED, EXIT_BAD_FILE = 0, 1, 2


class ScriptFileError(Exception):
    """The script cannot be run at all (missing, unreadable, or lines that mean nothing): exit code 2."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def read_script(path: Path, tz: dt.tzinfo, t: Catalogue) -> list[tuple[int, Line]]:
    """Every line parsed before anything runs, so a typo on line 40 does not leave half a scenario behind."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad saves UTF-8 with a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptFileError([t("console-bad-file", path=str(path), reason=str(exc))]) from exc
    lines: list[tuple[int, Line]] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        try:
            line = parse_line(raw, tz)
        except LineError as exc:
            problems.append(t("console-error-line", line=number, message=t(exc.key, **exc.args_)))
            continue
        if line is not None:
            lines.append((number, line))
    if problems:
        raise ScriptFileError([*problems, t("console-bad-lines", count=len(problems))])
    return lines


async def run_script(services: Services, lines: list[tuple[int, Line]], *, language: str = "en",
                     write: Callable[[str], None] = print) -> int:
    """Replay the lines; 0 if all ran, 1 if a line could not be run or crashed (a crash stops the replay)."""
    session = ConsoleSession(services, language=language, write=write)
    t = session.t
    errors = 0
    for number, line in lines:
        try:
            await session.run(line)
        except LineError:
            errors += 1  # printed under the line by the session
        except Exception:  # noqa: BLE001 - a crash in a handler: show it and stop
            traceback.print_exc(file=sys.stderr)
            write(t("console-crash", line=number))
            return EXIT_FAILED
    for text in await final_state(services, t):
        write(text)
    write(t("console-summary-done", lines=len(lines), errors=errors))
    return EXIT_FAILED if errors else EXIT_OK


async def final_state(services: Services, t: Catalogue) -> list[str]:
    """Every order's state and every persona's balance: what a scenario ended with."""
    async with UnitOfWork(services.db, write=False) as uow:
        orders = list(await uow.session.scalars(select(OrderRow).order_by(OrderRow.id)))
        users = {u.id: u for u in await uow.session.scalars(select(User))}
        balances = await uow.ledger.balances()
        total = await uow.ledger.total()
    out = [t("console-summary-title")]
    nobody = t("console-summary-nobody")

    def name(user_id: int | None) -> str:
        user = users.get(user_id) if user_id is not None else None
        return user.external_id if user is not None else str(user_id)

    for row in orders:
        # Worded as the order cards word them (handlers.orders), in the console's language.
        out.append(t("console-summary-order", order=row.id, task=t("task-name", task=row.task_type),
                     status=status_words(t, row),
                     customer=name(row.customer_id), runner=f"@{name(row.runner_id)}" if row.runner_id else nobody,
                     total=format_yuan(row.total), share=format_yuan(row.runner_share),
                     commission=format_yuan(row.commission)))
    if not orders:
        out.append(t("console-summary-no-orders"))
    personal, other = [], []
    for account, amount in balances.items():
        kind, _, rest = account.partition(":")
        if kind in ("customer", "runner") and rest.isdigit():
            personal.append((name(int(rest)), kind, amount))
        elif amount:
            other.append((account, amount))
    for who, kind, amount in sorted(personal):
        out.append(t("console-summary-balance", who=who, kind=kind, amount=format_yuan(amount)))
    for account, amount in sorted(other):
        out.append(t("console-summary-account", account=account, amount=format_yuan(amount)))
    out.append(t("console-summary-ledger", amount=format_yuan(total)))
    return out


async def _read_line(prompt: str, input_fn: Callable[[str], str]) -> str:
    """input() in a daemon thread: the loop keeps running the timers, and Ctrl-C does not wait for Enter."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(fn: Callable, value: object) -> None:  # type: ignore[type-arg]
        if not future.done():
            fn(value)

    def work() -> None:
        try:
            value = input_fn(prompt)
        except BaseException as exc:  # noqa: BLE001 - EOFError, KeyboardInterrupt: handed to the loop
            loop.call_soon_threadsafe(settle, future.set_exception, exc)
        else:
            loop.call_soon_threadsafe(settle, future.set_result, value)

    threading.Thread(target=work, daemon=True, name="console-input").start()
    return await future


async def run_interactive(services: Services, *, language: str = "en", sweep_seconds: float | None = 5,
                          input_fn: Callable[[str], str] = input, write: Callable[[str], None] = print) -> int:
    """The prompt: `alice> `. Timers run every few seconds; what they send appears as it happens."""
    from bot.scheduler import build_scheduler

    session = ConsoleSession(services, language=language, write=write)
    t = session.t
    campus = services.default_campus
    write(t("console-welcome", campus=campus.name_en if language == "en" else campus.name,
            time=session.show_time(services.clock())))

    async def after_sweep(report) -> None:  # noqa: ANN001
        if report.total:
            await session.deliver()

    # @clock moves time on as if the service had run all along: no gap the timers find is an outage.
    scheduler = (build_scheduler(services, seconds=sweep_seconds, after=after_sweep, outages=False)
                 if sweep_seconds else None)
    if scheduler is not None:
        scheduler.start()
    try:
        await session.deliver()  # anything left from an earlier run
        while True:
            try:
                raw = await _read_line(f"{session.current or ''}> ", input_fn)
            except (EOFError, KeyboardInterrupt):
                break
            if raw.strip() in ("/quit", "/exit"):
                break
            try:
                line = parse_line(raw, session.tz, interactive=True, current=session.current)
            except LineError as exc:
                write(session.error(exc))
                continue
            if line is None:
                await session.deliver()
                continue
            try:
                await session.run(line, echo=False)
            except LineError:
                pass  # printed by the session
            except Exception:  # noqa: BLE001 - show the crash, keep the console open
                traceback.print_exc(file=sys.stderr)
    finally:
        if scheduler is not None:
            await scheduler.stop()  # a sweep under way finishes before the database closes
    write(t("console-bye"))
    return EXIT_OK

