"""Writes tests/data/telegram_methods.json: the part of the Telegram Bot API spec the fake Bot API server checks
requests against (every method's parameters, and the object types those parameters can hold).

Source: shared/data/telegram-bot-api-<version>.min.json, from the MIT-licensed telegram-bot-api-spec project (its
licence is copied beside the output). The project never reads shared/ at run time; run this again after the shared
spec is updated and commit the result:

    python tests/data/make_telegram_methods.py [path/to/telegram-bot-api-X.min.json]
"""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data"
OUT = HERE / "telegram_methods.json"
PRIMITIVES = {"String", "Integer", "Boolean", "Float", "InputFile"}


def _fields(fields: list[dict]) -> list[dict]:
    return [{"name": f["name"], "types": f["types"], "required": bool(f["required"])} for f in fields]


def _type_names(types: list[str]) -> set[str]:
    return {re.sub(r"^(Array of )+", "", t) for t in types} - PRIMITIVES


def build(spec: dict) -> dict:
    methods = {
        name: {"fields": _fields(m.get("fields", [])), "returns": m.get("returns", [])}
        for name, m in sorted(spec["methods"].items())
    }
    # The object types a request can carry: everything reachable from the methods' parameters.
    needed: set[str] = set()
    todo = {t for m in methods.values() for f in m["fields"] for t in _type_names(f["types"])}
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        t = spec["types"][name]
        todo |= set(t.get("subtypes", []))
        todo |= {x for f in t.get("fields", []) for x in _type_names(f["types"])}
    types = {}
    for name in sorted(needed):
        t = spec["types"][name]
        entry: dict = {}
        if "subtypes" in t:
            entry["subtypes"] = t["subtypes"]
        else:
            entry["fields"] = _fields(t.get("fields", []))
        types[name] = entry
    return {
        "version": spec["version"],
        "release_date": spec.get("release_date", ""),
        "source": "telegram-bot-api-spec (MIT licence, see telegram_methods.LICENSE)",
        "methods": methods,
        "types": types,
    }


def dump(data: dict) -> str:
    """JSON with one method or type per line, so a spec update reads as a short diff."""
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    lines = ["{"]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f" {json.dumps(key)}: {{")
            items = [f"  {json.dumps(k)}: {json.dumps(v, **compact)}" for k, v in value.items()]
            lines.append(",\n".join(items))
            lines.append(" },")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, **compact)},")
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n}\n"


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else max(SHARED.glob("telegram-bot-api-*.min.json"))
    spec = json.loads(src.read_text(encoding="utf-8"))
    OUT.write_text(dump(build(spec)), encoding="utf-8")
    licence = src.with_name(src.name.replace(".min.json", ".LICENSE"))
    if licence.exists():
        shutil.copyfile(licence, HERE / "telegram_methods.LICENSE")
    print(f"{OUT.relative_to(HERE.parent.parent)}: {spec['version']}, from {src.name}")


if __name__ == "__main__":
    main()
