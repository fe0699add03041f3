"""paotui command line: the one place that builds settings, database, campuses and channels."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.campus_file import CampusFileError, load_campuses
from bot.clock import system_clock
from bot.settings import Settings
from core.campus import Campus, Size, TaskType
from core.errors import DomainError, InvalidInput
from core.geo import find_building
from core.money import format_yuan, yuan_to_fen
from core.pricing import Quote, QuoteRequest, quote
from locales import LANGUAGES, catalogue


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


def cmd_quote(settings: Settings, campuses: list[Campus], args: argparse.Namespace) -> int:
    campus = _campus(campuses, args.campus)
    at = dt.datetime.fromisoformat(args.at) if args.at else system_clock()
    if at.tzinfo is None:
        at = at.replace(tzinfo=campus.tz)
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
            tip=yuan_to_fen(args.tip),
            queue_minutes=args.queue_minutes,
        )
        q = quote(campus, req)
    except DomainError as exc:
        print(catalogue(args.lang)(exc.key, **exc.args_), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(q.as_dict() | {"campus": campus.id, "from": req.pickup.id if req.pickup else None,
                                         "to": req.dropoff.id, "at": at.isoformat()}, ensure_ascii=False, indent=2))
    else:
        print(render_quote(q, args.lang))
    return 0


def campus_summary(campus: Campus) -> str:
    kinds: dict[str, int] = {}
    for b in campus.buildings:
        kinds[b.kind.value] = kinds.get(b.kind.value, 0) + 1
    hours = "; ".join(f"{','.join(w.days)} {w.start:%H:%M}-{w.end:%H:%M}" for w in campus.service_hours)
    base = ", ".join(f"{t.value} {format_yuan(v)}" for t, v in campus.pricing.base.items())
    return "\n".join([
        f"{campus.name} ({campus.name_en}) [{campus.id}], timezone {campus.timezone}",
        f"  buildings: {len(campus.buildings)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})",
        f"  service hours: {hours}",
        f"  base prices (yuan): {base}; floor {format_yuan(campus.pricing.floor_price)}",
        f"  commission: {campus.commission / 100:g}%; dispatch: {campus.dispatch.mode.value}",
        f"  credit: start {campus.credit.initial}, grab floor {campus.credit.grab_floor}; "
        f"max {campus.runners.max_active_orders} orders at once",
    ])


def cmd_migrate(settings: Settings) -> int:
    from storage.migrate import upgrade

    upgrade(settings.resolved_database_url())
    print(f"database is up to date: {settings.resolved_database_url()}")
    return 0


def cmd_run(settings: Settings, campuses: list[Campus]) -> int:
    cmd_migrate(settings)
    for c in campuses:
        print(campus_summary(c))
    if settings.telegram_token is None:
        print("No TELEGRAM_TOKEN set: the local console channel is not built yet; the database and campus are ready.")
    else:
        print("TELEGRAM_TOKEN is set, but the Telegram channel is not built yet.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paotui", description="Campus errands in chat")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="migrate, then start the channels (the default)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("campus", help="print a summary of each campus file")
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    try:
        campuses = load_campuses([Path(p) for p in settings.campus_files])
    except CampusFileError as exc:
        print(f"paotui cannot start: the campus file is wrong.\n{exc}", file=sys.stderr)
        return 2
    command = args.command or "run"
    if command == "migrate":
        return cmd_migrate(settings)
    if command == "campus":
        print("\n\n".join(campus_summary(c) for c in campuses))
        return 0
    if command == "quote":
        return cmd_quote(settings, campuses, args)
    return cmd_run(settings, campuses)


if __name__ == "__main__":
    sys.exit(main())
