"""Reads campus files and refuses a wrong one with the file, the field and what is wrong."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from core.campus import Campus


class CampusFileError(Exception):
    pass


def _field_path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def load_campus(path: Path) -> Campus:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CampusFileError(f"{path}: campus file not found") from exc
    except yaml.YAMLError as exc:
        raise CampusFileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CampusFileError(f"{path}: expected a mapping of campus fields at the top level")
    try:
        return Campus.model_validate(raw)
    except ValidationError as exc:
        errors = [(tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-"))), err)
                  for err in exc.errors()]
        # A list whose only item was refused is also too short: said once, by the item's own problem.
        problems = [f"{path}: {_field_path(loc)}: {err['msg']}" for loc, err in errors
                    if not (err["type"] == "too_short" and any(len(o) > len(loc) and o[:len(loc)] == loc
                                                               for o, _ in errors))]
        raise CampusFileError("\n".join(problems)) from exc


def load_campuses(paths: list[Path]) -> list[Campus]:
    campuses = [load_campus(p) for p in paths]
    ids = [c.id for c in campuses]
    if len(set(ids)) != len(ids):
        raise CampusFileError(f"two campus files share an id: {ids}")
    # A task hall is one campus's: updates from it are taken as that campus's, so a second campus's hall or
    # operators' chat there would be answered as the first's. An operators' chat may be shared: a command there is
    # judged against the sender's own campus (handlers.notify.operators_chat_campus).
    named: dict[int, tuple[Path, str]] = {}
    problems = []
    for path, campus in zip(paths, campuses, strict=True):
        for chat, field in campus.channels.groups().items():
            other, other_field = named.get(chat, (None, field))
            if other is not None and "telegram_hall_chat_id" in (field, other_field):
                problems.append(f"{other} and {path} both name the Telegram group {chat} (channels.{other_field}, "
                                f"channels.{field}): a task hall is one campus's own group, no other campus's hall "
                                "or admin chat")
            elif other is None:
                named[chat] = (path, field)
    if problems:
        raise CampusFileError("\n".join(problems))
    return campuses


def telegram_chats_missing(paths: list[Path], campuses: list[Campus]) -> list[str]:
    """On Telegram every campus needs its task hall and its admin chat: without them its hall posts and operators'
    notices have nowhere to go (a paid order would never be announced). One line per campus file that lacks them."""
    problems = []
    for path, campus in zip(paths, campuses, strict=True):
        missing = [f"channels.{name}" for name in ("telegram_hall_chat_id", "telegram_admin_chat_id")
                   if getattr(campus.channels, name) is None]
        if missing:
            problems.append(f"{path}: {' and '.join(missing)} missing: on Telegram a campus needs its task-hall "
                            "group and its admin chat (add the bot to the group and send /chatid there to learn its "
                            "id)")
    return problems
