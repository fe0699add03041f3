"""`main.py quote` prints the same itemised price a student will see."""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.campus_file import load_campus
from core.campus import TaskType
from core.money import format_yuan
from tests.conftest import NO_ENV_FILE

ROOT = Path(__file__).resolve().parent.parent
CAMPUS = load_campus(ROOT / "campus" / "demo.yaml")


def run(*args: str, tmp_path: Path, command: str = "quote", **env: str) -> subprocess.CompletedProcess:
    # A deployment's .env (the project directory's, read wherever main.py runs) must not count here: none is read.
    return subprocess.run([sys.executable, str(ROOT / "main.py"), command, *args], cwd=tmp_path, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), **NO_ENV_FILE, **env})


def test_json_quote_is_itemised_and_adds_up(tmp_path):
    result = run("--from", "菜鸟驿站", "--to", "F1", "--type", "parcel", "--weight", "4.5", "--floor", "6",
                 "--at", "2026-11-23T12:00", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    q = json.loads(result.stdout)
    keys = [line["key"] for line in q["lines"]]
    assert keys[0] == "price-base"
    assert "price-weight" in keys and "price-stairs" in keys and "price-peak" in keys  # noon, 6th floor, no lift
    assert q["to"] == "dorm_f1" and q["from"] == "parcel_station"
    assert sum(line["amount"] for line in q["lines"]) == q["total"]
    assert q["runner_share"] + q["commission"] == q["service_fee"] + q["tip"]
    stairs = next(line for line in q["lines"] if line["key"] == "price-stairs")
    assert stairs["amount"] == (6 - CAMPUS.pricing.stairs.free_floors) * CAMPUS.pricing.stairs.per_floor


def test_text_quote_matches_json(tmp_path):
    args = ("--from", "library", "--to", "男2", "--type", "deliver", "--weight", "1", "--at", "2026-11-23T23:00")
    q = json.loads(run(*args, "--json", tmp_path=tmp_path).stdout)
    text = run(*args, "--lang", "en", tmp_path=tmp_path).stdout
    assert "Night service" in text and "Deliver an item" in text
    assert "Total" in text and format_yuan(q["total"]) in text.splitlines()[-3]


@pytest.mark.parametrize("args, message", [
    (("--to", "Hogwarts", "--type", "parcel", "--from", "library"), "Hogwarts"),
    (("--to", "F1", "--from", "library", "--type", "parcel", "--weight", "99"), "25"),
    (("--to", "F1", "--from", "library", "--type", "parcel", "--weight", "abc"), "abc"),
])
def test_bad_quote_input_is_explained(tmp_path, args, message):
    result = run(*args, "--lang", "en", tmp_path=tmp_path)
    assert result.returncode == 2 and message in result.stderr and not result.stdout


def test_a_quote_follows_the_pricing_rules_operators_changed_from_chat(tmp_path):
    """As a student is quoted: the campus file's rules with the operators' /pricing changes from the database."""
    args = ("--from", "library", "--to", "F1", "--type", "parcel", "--at", "2026-11-23T15:00", "--json")
    before = json.loads(run(*args, tmp_path=tmp_path).stdout)
    assert before["changed_rules"] == [] and not (tmp_path / "paotui.db").exists()  # no database made to read none
    assert run(tmp_path=tmp_path, command="migrate").returncode == 0
    with sqlite3.connect(tmp_path / "paotui.db") as db:  # as /pricing set base.parcel 9 keeps it
        db.execute("INSERT INTO pricing_changes (campus_id, rule, amount, changed_by, changed_at) "
                   "VALUES ('demo', 'base.parcel', 900, 1, '2026-11-23 07:00:00+00:00')")
    after = json.loads(run(*args, tmp_path=tmp_path).stdout)
    base = next(line["amount"] for line in after["lines"] if line["key"] == "price-base")
    assert base == 900 and after["changed_rules"] == ["base.parcel"]
    assert after["total"] == before["total"] - CAMPUS.pricing.base[TaskType.parcel] + 900
    text = run(*args[:-1], "--lang", "en", tmp_path=tmp_path).stdout
    assert text.splitlines()[-1] == "(pricing rules changed from chat: base.parcel)"
    assert run(*args[:-1], tmp_path=tmp_path).stdout.splitlines()[-1] == "（在聊天中修改过的计价规则：base.parcel）"


@pytest.mark.parametrize("url", [
    "sqlite+aiosqlite:///{tmp}/elsewhere.db",  # a SQLite file not made yet: none made by asking
    "postgresql+asyncpg://nobody@127.0.0.1:1/none",  # a server that is not there
    "postgresql://nobody@127.0.0.1:1/none",  # as hosts hand it out: run on asyncpg, and not there
])
def test_a_database_that_cannot_be_read_leaves_the_campus_file_to_price(tmp_path, url):
    args = ("--from", "library", "--to", "F1", "--type", "parcel", "--at", "2026-11-23T15:00", "--json")
    result = run(*args, "--lang", "en", tmp_path=tmp_path, DATABASE_URL=url.format(tmp=tmp_path))
    assert result.returncode == 0 and json.loads(result.stdout)["changed_rules"] == []
    assert list(tmp_path.iterdir()) == []
    if "elsewhere" not in url:
        assert result.stderr.startswith("The pricing changes made from chat could not be read (")


def test_a_database_url_that_is_no_url_is_a_wrong_setting_for_the_quote_too(tmp_path):
    args = ("--from", "library", "--to", "F1", "--type", "parcel", "--json")
    result = run(*args, tmp_path=tmp_path, DATABASE_URL="not a url")
    assert result.returncode == 2 and "DATABASE_URL must be like" in result.stderr and "not a url" not in result.stderr


def test_the_tests_never_act_on_the_database_a_deployments_env_names(tmp_path):
    # Before, `main.py migrate` run by the tests from the project's folder read its .env and migrated the database
    # named there (perhaps production's, with a key of the test's making).
    dotenv = ROOT / ".env"
    if dotenv.exists():
        pytest.skip("this checkout has a .env of its own, which this test will not touch")
    configured = tmp_path / "production.db"
    dotenv.write_text(f"DATABASE_URL=sqlite+aiosqlite:///{configured}\n")
    try:
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        assert run(tmp_path=scratch, command="migrate").returncode == 0
    finally:
        dotenv.unlink()
    assert not configured.exists()
    assert (scratch / "paotui.db").exists()


@pytest.mark.parametrize("minutes", ["-5", "600"])  # 600: before, priced, though the chat refuses it
def test_a_queueing_time_out_of_range_is_explained_not_a_traceback(tmp_path, minutes):
    result = run("--to", "F1", "--type", "queue", "--queue-minutes", minutes, "--lang", "en", tmp_path=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2 and "The queueing time must be between 0 and 240 minutes." in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("args", "said"), [
    (("--tip", "abc"), '"abc" is not an amount. Write yuan, like 2 or 2.50.'),
    (("--tip", "2.555"), '"2.555" is not an amount. Write yuan, like 2 or 2.50.'),
    (("--at", "tomorrow"), '--at "tomorrow" is not a time: write it like 2026-11-23T22:30.'),
])
def test_a_bad_tip_or_time_is_explained_not_a_traceback(tmp_path, args, said):
    result = run("--to", "F1", "--from", "library", "--type", "parcel", *args, "--lang", "en", tmp_path=tmp_path)
    assert (result.returncode, result.stderr.strip(), result.stdout) == (2, said, "")
