"""The dependency rule of design.md §1, checked on the source: imports point down only."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANNEL_FRAMEWORKS = {"aiogram", "wechatpy", "aiohttp"}
FORBIDDEN = {
    "core": CHANNEL_FRAMEWORKS | {"storage", "handlers", "bot", "sqlmodel", "sqlalchemy", "redis", "locales"},
    "handlers": CHANNEL_FRAMEWORKS | {"bot"},
    "storage": CHANNEL_FRAMEWORKS | {"handlers", "bot"},
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_imports_point_down_only():
    problems = []
    for layer, forbidden in FORBIDDEN.items():
        for path in (ROOT / layer).rglob("*.py"):
            bad = imported_roots(path) & forbidden
            if bad:
                problems.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not problems, "\n".join(problems)


def test_core_reads_no_clock():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py")
                 if ".now(" in p.read_text(encoding="utf-8") or "time.time(" in p.read_text(encoding="utf-8")]
    assert not offenders
