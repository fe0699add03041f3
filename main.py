"""paotui command line: the one place that builds settings, database, campuses and channels."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import ValidationError

from bot.campus_file import CampusFileError, load_campuses, telegram_chats_missing
from bot.clock import system_clock
from bot.settings import Settings, env_file_problem
from core.campus import END_OF_DAY, Campus, Size, TaskType
from core.errors import DomainError, InvalidInput
from core.geo import find_building
from core.money import MoneyError, format_yuan, yuan_to_fen
from core.pricing import Quote, QuoteRequest, quote
from locales import LANGUAGES, Catalogue, catalogue


def _campus(campuses: list[Campus], campus_id: str | None) -> Campus:
    if campus_id is None:
        return campuses[0]
    for c in campuses:
        if c.id == campus_id:
            return c
    raise SystemExit(f"no campus with id {campus_id!r}; known: {', '.join(c.id for c in campuses)}")


def _kg_to_grams(text: str) -> int:
    try:
        grams = Decimal(text) * 1000
    except InvalidOperation as exc:
        raise InvalidInput("error-weight-format", text=text) from exc
    if not grams.is_finite() or grams != grams.to_integral_value():
        raise InvalidInput("error-weight-format", text=text)
    return int(grams)


def _row(label: str, amount: int, width: int = 34) -> str:
    # Chinese characters take two terminal columns.
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label)
    return f"{label}{' ' * max(1, width - columns)}{format_yuan(amount):>9}"


def render_quote(q: Quote, language: str) -> str:
    t = catalogue(language)
    rows = [_row(t(line.key, **line.args), line.amount) for line in q.lines]
    rows.append("-" * 43)
    rows.append(_row(t("price-total"), q.total))
    rows.append(_row(t("price-commission"), q.commission))
    rows.append(_row(t("price-runner-share"), q.runner_share))
    return "\n".join(rows)


def chat_priced(settings: Settings, campus: Campus, t: Catalogue) -> tuple[Campus, list[str]]:
    """The campus priced as its students are quoted: with the pricing rules its operators changed from chat
    (/pricing), which the configured database keeps, and the names of those rules. A SQLite database not made yet (a
    fresh machine's) has none, and is not made by asking; one that cannot be read is said on stderr, and the campus
    file prices alone."""
    from sqlalchemy.exc import SQLAlchemyError

    from core import pricing_rules
    from storage.campus_changes import of_campus
    from storage.uow import UnitOfWork

    url = settings.configured_database_url()

    async def read(db) -> dict[str, int]:  # noqa: ANN001 - a Database
        async with UnitOfWork(db, write=False) as uow:
            return (await of_campus(uow.session, campus.id)).rules

    try:
        if not_made_yet(url):
            return campus, []
        changes = checked_on(url, read)
    except (SQLAlchemyError, ImportError, OSError) as exc:  # not migrated, its server down, a URL with no driver here
        print(t("quote-changes-unread", error=type(exc).__name__), file=sys.stderr)
        return campus, []
    names = [name for key in changes if (name := pricing_rules.rule_of(campus, key)) is not None]
    return pricing_rules.with_rules(campus, changes), sorted(names)


def cmd_quote(settings: Settings, campuses: list[Campus], args: argparse.Namespace) -> int:
    t = catalogue(args.lang)
    campus, changed = chat_priced(settings, _campus(campuses, args.campus), t)
    try:
        at = dt.datetime.fromisoformat(args.at) if args.at else system_clock()
    except ValueError:
        print(t("quote-at-format", text=args.at[:40]), file=sys.stderr)
        return 2
    if at.tzinfo is None:
        at = at.replace(tzinfo=campus.tz)
    try:
        tip = yuan_to_fen(args.tip)
    except MoneyError:
        print(t("order-tip-format", text=args.tip[:20]), file=sys.stderr)
        return 2
    try:
        req = QuoteRequest(
            task_type=TaskType(args.type),
            pickup=find_building(campus, args.from_) if args.from_ else None,
            dropoff=find_building(campus, args.to),
            weight_g=_kg_to_grams(args.weight),
            size=Size(args.size),
            at=at,
            dropoff_floor=args.floor,
            urgent=args.urgent,
            tip=tip,
            queue_minutes=args.queue_minutes,
        )
        q = quote(campus, req)
    except DomainError as exc:
        print(t(exc.key, **exc.args_), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(q.as_dict() | {"campus": campus.id, "from": req.pickup.id if req.pickup else None,
                                         "to": req.dropoff.id, "at": at.isoformat(), "changed_rules": changed},
                         ensure_ascii=False, indent=2))
    else:
        print(render_quote(q, args.lang))
        if changed:
            print(t("quote-changed-rules", rules=", ".join(changed)))
    return 0


def campus_summary(campus: Campus) -> str:
    kinds: dict[str, int] = {}
    for b in campus.buildings:
        kinds[b.kind.value] = kinds.get(b.kind.value, 0) + 1
    hours = "; ".join(f"{','.join(w.days)} {w.start:%H:%M}-{'24:00' if w.end == END_OF_DAY else f'{w.end:%H:%M}'}"
                      for w in campus.service_hours)
    base = ", ".join(f"{t.value} {format_yuan(v)}" for t, v in campus.pricing.base.items())
    channels = campus.channels
    return "\n".join([
        f"{campus.name} ({campus.name_en}) [{campus.id}], timezone {campus.timezone}",
        f"  buildings: {len(campus.buildings)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})",
        f"  service hours: {hours}",
        f"  base prices (yuan): {base}; floor {format_yuan(campus.pricing.floor_price)}",
        f"  commission: {campus.commission / 100:g}%; dispatch: {campus.dispatch.mode.value}",
        f"  credit: start {campus.credit.initial}, grab floor {campus.credit.grab_floor}; "
        f"max {campus.runners.max_active_orders} orders at once",
        f"  operators: {', '.join(campus.operators) or 'none'}; language: {campus.language}",
        f"  telegram hall chat: {_chat(channels.telegram_hall_chat_id)}; "
        f"admin chat: {_chat(channels.telegram_admin_chat_id)}",
    ])


def _chat(chat_id: int | None) -> str:
    return "not set" if chat_id is None else str(chat_id)


def cmd_migrate(settings: Settings) -> int:
    from storage.migrate import upgrade

    # Before any migration runs: one that encrypts clear text (0005, 0016) would seal it under keys that are not the
    # database's, for good.
    if (refused := revision_refused(settings) or keys_refused(settings)) is not None:
        print(f"paotui cannot start: {refused}", file=sys.stderr)
        return 2
    url = settings.resolved_database_url()
    upgrade(url, cipher_keys=settings.cipher_keys())  # a migration may encrypt data
    print(f"database is up to date: {shown_url(url)}")
    return 0


def shown_url(url: str) -> str:
    """A database URL as it may be printed: without its password. One that is no URL is not printed at all."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: its port is no number (the message would repeat the URL)
        return "DATABASE_URL (not shown: it is no URL)"


def not_made_yet(url: str) -> bool:
    """A SQLite database whose file is not there yet (a fresh machine's): nothing is stored, and asking would make
    it."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file()


def checked_on(url: str, check):  # noqa: ANN001, ANN201 - an async callable taking the Database, and its result
    """What `check` finds on the database at `url` (a start check), the database closed after."""
    import asyncio

    from storage.db import Database

    async def run():  # noqa: ANN202
        db = Database(url)
        try:
            return await check(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def revision_refused(settings: Settings) -> str | None:
    """Why this code cannot migrate or run the database (a newer release migrated it, then was rolled back), or
    None."""
    from storage.migrate import head_revision, newer_revision

    if (newer := checked_on(settings.resolved_database_url(), newer_revision)) is None:
        return None
    head = head_revision()
    return (f"the database is at revision {newer}, newer than this paotui's head {head}: a newer release migrated "
            f"it. Downgrade it to {head} with that release first, or run that release.")


def key_generation_refused(settings: Settings) -> str | None:
    """Why no key may be generated here (ENCRYPTION_KEYS unset, no key file in DATA_DIR), or None: the database holds
    encrypted personal data already, which a new key would not open, and under which migrations would seal more (a
    release job's or a new host's throw-away data dir). A database not made yet, or holding none, gets a new key."""
    from storage.rekey import stored_samples

    if settings.encryption_keys is not None or settings.key_file.exists():
        return None
    url = settings.configured_database_url()
    if not_made_yet(url):
        return None  # nothing is stored

    if not checked_on(url, stored_samples):
        return None
    return (f"the database holds encrypted personal data, and no key is configured here (ENCRYPTION_KEYS is unset, "
            f"and there is no encryption.key in {settings.data_dir}): a new key would not open it. Set "
            "ENCRYPTION_KEYS to the keys this database was written with.")


def keys_refused(settings: Settings) -> str | None:
    """Why the configured keys cannot run on this database (personal data stored under keys they do not hold), or
    None. Refused at start rather than failing on every grab or order that reads such data; and before migrating,
    at whatever revision the database is."""
    from storage.crypto import Cipher
    from storage.rekey import unreadable

    cipher = Cipher(settings.cipher_keys())
    columns = checked_on(settings.resolved_database_url(), lambda db: unreadable(db, cipher))
    if not columns:
        return None
    return (f"the encryption keys cannot open personal data already stored ({', '.join(columns)}). Set "
            "ENCRYPTION_KEYS to the keys this database was written with (after a rotation: the new key first, then "
            "the old, until `python main.py rekey` has run).")


def campus_refused(settings: Settings, campuses: list[Campus]) -> str | None:
    """Why the campus files cannot run on this database (a campus or building that orders under way still use was
    taken out of them), or None. Refused at start rather than failing every timer, grab and card of those orders."""
    from storage.campus_refs import missing_references

    missing = checked_on(settings.resolved_database_url(), lambda db: missing_references(db, campuses))
    if not missing:
        return None
    named = "; ".join(f"{what} (order{'s' if len(ids) > 1 else ''} {', '.join(f'#{i}' for i in ids[:10])}"
                      f"{', …' if len(ids) > 10 else ''})" for what, ids in missing.items())
    return (f"the campus files no longer have what orders under way use: {named}. Put it back until those orders "
            "end (or an operator cancels them), then take it out.")


def cmd_rekey(settings: Settings) -> int:
    """Re-encrypt all stored personal data with the first key, so that the others can be dropped."""
    import asyncio

    from storage.crypto import Cipher
    from storage.db import Database
    from storage.rekey import rekey

    if migrated := cmd_migrate(settings):
        return migrated

    async def run() -> int:
        db = Database(settings.resolved_database_url())
        try:
            report = await rekey(db, Cipher(settings.cipher_keys()))
        finally:
            await db.dispose()
        for place, count in sorted(report.rewritten.items()):
            print(f"re-encrypted {count} values in {place}")
        if report.unreadable:
            for place, count in sorted(report.unreadable.items()):
                print(f"could not open {count} values in {place}: no configured key opens them", file=sys.stderr)
            return 1
        print("all personal data is under the first key now: the other keys can be dropped")
        return 0

    return asyncio.run(run())


def on_the_database(settings: Settings, work) -> int:  # noqa: ANN001 - a callable returning an exit code
    """`work`, or, when the database is down or refuses us, one line saying so (no traceback, no password). The
    encryption keys first, apart: a key file that cannot be made is no fault of the database."""
    from sqlalchemy.exc import SQLAlchemyError

    def unusable(exc: Exception) -> int:
        print(f"paotui cannot start: the database at {shown_url(settings.configured_database_url())} cannot be "
              f"used ({type(exc).__name__}).", file=sys.stderr)
        return 1

    try:
        refused = key_generation_refused(settings)
    except (OSError, SQLAlchemyError) as exc:
        return unusable(exc)
    if refused is not None:
        print(f"paotui cannot start: {refused}", file=sys.stderr)
        return 2
    try:
        settings.cipher_keys()
    except OSError as exc:
        print(f"paotui cannot start: the encryption key in {settings.data_dir} cannot be made or read "
              f"({type(exc).__name__}); set ENCRYPTION_KEYS or DATA_DIR.", file=sys.stderr)
        return 2
    try:
        return work()
    except (OSError, SQLAlchemyError) as exc:
        return unusable(exc)


def start_refused(settings: Settings, campuses: list[Campus]) -> int:
    """Migrated, and nothing stored that these keys or campus files cannot serve: 0, else the exit code."""
    if migrated := cmd_migrate(settings):  # the keys are checked before migrating
        return migrated
    if (refused := campus_refused(settings, campuses)) is not None:
        print(f"paotui cannot start: {refused}", file=sys.stderr)
        return 2
    return 0


def cmd_run(settings: Settings, campuses: list[Campus]) -> int:
    if wechat := settings.ignored_wechat_settings():  # README once documented them
        print(f"paotui: {', '.join(wechat)} {'is' if len(wechat) == 1 else 'are'} set, but there is no WeChat channel "
              "yet: ignored.", file=sys.stderr)
    if settings.telegram_token is not None and (missing := telegram_chats_missing(settings.campus_files, campuses)):
        # Before the database is touched: such a bot would run and drop every hall post and operators' notice.
        print("paotui cannot start: " + "\n".join(missing), file=sys.stderr)
        return 2
    if refused := on_the_database(settings, lambda: start_refused(settings, campuses)):
        return refused
    for c in campuses:
        print(campus_summary(c))
    if settings.telegram_token is None:
        # No token: the local console channel, on the configured database, with the real clock.
        return cmd_console(settings, campuses, build_parser().parse_args(["console"]), checked=True)
    return cmd_telegram(settings, campuses)


def cmd_telegram(settings: Settings, campuses: list[Campus]) -> int:
    """The Telegram bot (polling, or a webhook when TELEGRAM_WEBHOOK_URL is set) with its outbox sender, until
    stopped (Ctrl+C / SIGTERM: what is being handled is finished first, bot/telegram/app.py). A start that cannot
    work (a wrong token, a Bot API that stays unreachable) ends with one line saying why; a token Telegram refuses
    while running stops the same way as a signal, with the line logged, and exit 2."""
    import asyncio
    import logging

    from bot.telegram.app import TelegramStartError, TelegramStopped, run_telegram

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from storage.throttle import Throttle, ThrottleConfig

    # The public channel: one person's flood is refused before it costs a transaction (storage.throttle).
    throttle = Throttle.for_redis(settings.redis_url, ThrottleConfig(settings.rate_limit_inputs,
                                                                     settings.rate_limit_relays))
    services = build_services(settings.resolved_database_url(), campuses, settings.cipher_keys(), system_clock,
                              ("telegram",), throttle=throttle)

    async def serve() -> None:
        from bot.runtime import settle_garbage_collector
        from bot.scheduler import build_scheduler

        settle_garbage_collector()
        scheduler = build_scheduler(services)  # the timers: sweep every few seconds

        async def timers() -> None:  # once the payments a stopped process left are booked: run_telegram's `ready`
            await scheduler.begin()  # after an outage, its time given back before any update is taken

        try:
            await run_telegram(settings, services, ready=timers)
        finally:
            await scheduler.stop()  # a sweep or tidy under way finishes (bounded) before the database closes
            await services.db.dispose()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    except TelegramStartError as exc:
        print(f"paotui cannot start: {exc}", file=sys.stderr)
        return exc.exit_code
    except TelegramStopped as exc:  # its reason is logged already
        return exc.exit_code
    return 0


def build_services(database_url: str, campuses: list[Campus], cipher_keys: list[str], clock,  # noqa: ANN001, ANN201
                   channels: tuple[str, ...], *, throttle=None):  # noqa: ANN001
    """Everything the handlers use, for the channels that run in this process."""
    from handlers.context import Services
    from storage.crypto import Cipher
    from storage.db import Database

    return Services(db=Database(database_url), campuses={c.id: c for c in campuses}, cipher=Cipher(cipher_keys),
                    clock=clock, channels=channels, throttle=throttle)


def cmd_console(settings: Settings, campuses: list[Campus], args: argparse.Namespace, *, checked: bool = False) -> int:
    """The local console channel: interactive, or replaying a script (exit 0 ok, 1 a line failed, 2 bad file). On the
    configured database, or the one --database names, after run's start checks (`checked`: run made them); a script
    without --database starts clean in a throw-away one."""
    import asyncio
    import tempfile

    from bot.console.clock import ConsoleClock, parse_moment
    from bot.console.runner import EXIT_BAD_FILE, ScriptFileError, read_script, run_interactive, run_script
    from bot.settings import database_url
    from storage.crypto import Cipher
    from storage.migrate import upgrade_async

    campus, t = campuses[0], catalogue(args.lang)
    start = None
    if args.start:
        start = parse_moment(args.start, campus.tz)
        if start is None:
            print(t("console-error-start", text=args.start[:40]), file=sys.stderr)  # a moment: no step is taken
            return EXIT_BAD_FILE

    if args.database:
        try:  # the forms DATABASE_URL takes, checked as it is
            settings = settings.model_copy(update={"database_url": database_url(args.database)})
        except ValueError as exc:
            print(f"paotui cannot start: {str(exc).replace('DATABASE_URL', '--database', 1)}", file=sys.stderr)
            return EXIT_BAD_FILE

    def start_checked() -> int:
        """run's start checks on the database the console opens: 0, or the exit code (the reason said)."""
        if checked or (args.script and not args.database):
            return 0
        return on_the_database(settings, lambda: start_refused(settings, campuses))

    async def session(url: str, keys: list[str], clock: ConsoleClock, body) -> int:  # noqa: ANN001
        await upgrade_async(url, keys)
        services = build_services(url, campuses, keys, clock, ("console",))
        try:
            return await body(services)
        finally:
            await services.db.dispose()

    if args.script:
        try:
            lines = read_script(Path(args.script), campus.tz, t)
        except ScriptFileError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_BAD_FILE
        if refused := start_checked():  # after reading the script: a bad file touches no database
            return refused
        clock = ConsoleClock(start or system_clock())  # frozen: only @clock lines move it
        with tempfile.TemporaryDirectory(prefix="paotui-console-") as tmp:
            # A script starts clean in a throw-away database (and key) unless told where to run.
            url = settings.database_url if args.database else f"sqlite+aiosqlite:///{Path(tmp) / 'console.db'}"
            keys = settings.cipher_keys() if args.database else [Cipher.new_key()]
            return asyncio.run(session(url, keys, clock, lambda s: run_script(s, lines, language=args.lang)))
    if refused := start_checked():
        return refused
    url = settings.resolved_database_url()
    try:
        return asyncio.run(session(url, settings.cipher_keys(), ConsoleClock(start) if start else ConsoleClock(),
                                   lambda s: run_interactive(s, language=args.lang)))
    except KeyboardInterrupt:  # Ctrl+C at the prompt
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paotui", description="Campus errands in chat")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="migrate, then start the channels (the default)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("rekey", help="re-encrypt personal data with the first of ENCRYPTION_KEYS (then drop the others)")
    sub.add_parser("campus", help="print a summary of each campus file")
    c = sub.add_parser("console", help="act as several people (student, runner, operator) in a terminal")
    c.add_argument("--script", metavar="FILE", help="replay a file of '@persona input' lines and print the transcript")
    c.add_argument("--database", metavar="URL",
                   help="database URL (default: the configured one; with --script a fresh temporary SQLite file)")
    c.add_argument("--start", metavar="TIME", help="the console clock's start, e.g. 2026-11-23T10:00+08:00")
    c.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the console's own lines")
    q = sub.add_parser("quote", help="price an errand as a student would see it")
    q.add_argument("--from", dest="from_", metavar="NAME", help="pickup building (name, alias or id)")
    q.add_argument("--to", required=True, metavar="NAME", help="drop-off building")
    q.add_argument("--type", required=True, choices=[t.value for t in TaskType])
    q.add_argument("--weight", default="0", metavar="KG")
    q.add_argument("--size", default="small", choices=[s.value for s in Size])
    q.add_argument("--floor", type=int, default=1, help="floor to climb at drop-off")
    q.add_argument("--urgent", action="store_true")
    q.add_argument("--tip", default="0", metavar="YUAN")
    q.add_argument("--queue-minutes", type=int, default=0)
    q.add_argument("--at", help="ISO time of the errand (default: now, campus time if no offset)")
    q.add_argument("--campus", help="campus id (default: the first campus file)")
    q.add_argument("--lang", default="zh_CN", choices=LANGUAGES)
    q.add_argument("--json", action="store_true")
    return parser


def setting_problem(error) -> str:  # noqa: ANN001 - one of pydantic's ErrorDetails
    """One wrong setting, named by its variable unless its message names it already (a check across settings has
    none to name: its message does)."""
    message = error["msg"].removeprefix("Value error, ")
    variable = str(error["loc"][0]).upper() if error["loc"] else ""
    return message if variable in message else f"{variable}: {message}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (problem := env_file_problem()) is not None:
        print(f"paotui cannot start: {problem}", file=sys.stderr)
        return 2
    try:
        settings = Settings()
    except ValidationError as exc:
        # Only the messages: pydantic's full text repeats the input, which holds the tokens.
        problems = "; ".join(setting_problem(error) for error in exc.errors(include_url=False, include_input=False))
        print(f"paotui cannot start: {problems}", file=sys.stderr)
        return 2
    try:
        campuses = load_campuses([Path(p) for p in settings.campus_files])
    except CampusFileError as exc:
        print(f"paotui cannot start: the campus file is wrong.\n{exc}", file=sys.stderr)
        return 2
    command = args.command or "run"
    if command == "migrate":
        return on_the_database(settings, lambda: cmd_migrate(settings))
    if command == "rekey":
        return on_the_database(settings, lambda: cmd_rekey(settings))
    if command == "campus":
        print("\n\n".join(campus_summary(c) for c in campuses))
        return 0
    if command == "quote":
        return cmd_quote(settings, campuses, args)
    if command == "console":
        return cmd_console(settings, campuses, args)
    return cmd_run(settings, campuses)


if __name__ == "__main__":
    sys.exit(main())
