"""The console channel: scripts replayed end to end (examples/ included), then the database they leave checked."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

import main
from bot.console.clock import MAX_STEP, ConsoleClock, StepTooFar, parse_step
from bot.console.lines import (
    Act,
    ClockLine,
    Comment,
    Contact,
    HallPress,
    LineError,
    Location,
    Photo,
    Press,
    SweepLine,
    Switch,
    Text,
    parse_line,
)
from bot.console.runner import run_interactive
from handlers.notify import is_menu
from storage.crypto import Cipher
from storage.databases import drop_postgres, fresh_postgres
from storage.db import Database
from storage.outbox import open_payload
from tests.conftest import PG_ADMIN_URL, service_missing

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    # A real key from the environment, so no key file is written into the project's data directory.
    monkeypatch.setenv("ENCRYPTION_KEYS", Cipher.new_key())


def run(script: Path, tmp_path: Path, capsys, *extra: str) -> tuple[int, str, Path]:
    db = tmp_path / "console.db"
    code = main.main(["console", "--script", str(script), "--database", f"sqlite+aiosqlite:///{db}", *extra])
    out = capsys.readouterr()
    return code, out.out + out.err, db


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "script.txt"
    path.write_text(body, encoding="utf-8")
    return path


class State:
    """The database a script left, read with plain sqlite3."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.row_factory = sqlite3.Row

    def user(self, name: str) -> int:
        query = "SELECT id FROM users WHERE channel='console' AND external_id=?"
        return self.conn.execute(query, (name,)).fetchone()[0]

    def order(self, order_id: int) -> sqlite3.Row:
        return self.conn.execute("SELECT * FROM orders WHERE id=?", (order_id,)).fetchone()

    def balance(self, account: str) -> int:
        row = self.conn.execute("SELECT balance FROM accounts WHERE name=?", (account,)).fetchone()
        return row[0] if row else 0

    def ledger_sums(self) -> tuple[int, int]:
        return (self.conn.execute("SELECT COALESCE(SUM(balance), 0) FROM accounts").fetchone()[0],
                self.conn.execute("SELECT COALESCE(SUM(amount), 0) FROM ledger_entries").fetchone()[0])

    def events(self, order_id: int) -> list[str]:
        query = "SELECT event FROM order_events WHERE order_id=? ORDER BY id"
        return [r[0] for r in self.conn.execute(query, (order_id,))]

    def pending_console_outbox(self) -> int:
        query = "SELECT COUNT(*) FROM outbox WHERE channel='console' AND status != 'sent'"
        return self.conn.execute(query).fetchone()[0]

    def outbox_keys(self) -> list[str]:
        """The catalogue keys of the messages written (a command-menu refresh is no message)."""
        import json

        cipher = Cipher([os.environ["ENCRYPTION_KEYS"]])  # messages to a person are sealed (storage.outbox)
        payloads = [open_payload(cipher, json.loads(r[0]))
                    for r in self.conn.execute("SELECT payload FROM outbox ORDER BY id")]
        return [p["key"] for p in payloads if not is_menu(p)]


# --- the shipped examples -----------------------------------------------------------------------------------------

def test_full_order_example_completes_and_pays_everyone(tmp_path, capsys):
    code, out, path = run(EXAMPLES / "full_order.txt", tmp_path, capsys)
    assert code == 0, out
    s = State(path)
    alice, runner1 = s.user("alice"), s.user("runner1")
    order = s.order(1)
    assert order["status"] == "completed" and order["runner_id"] == runner1 and order["rating"] == 5
    assert s.events(1) == ["pay", "accept", "pickup", "deliver", "confirm"]
    assert s.balance(f"runner:{runner1}") == order["runner_share"] > 0
    assert s.balance("platform:revenue") == order["commission"] > 0
    assert order["runner_share"] + order["commission"] == order["total"]
    assert s.balance(f"customer:{alice}") == 2000 - order["total"]
    assert s.balance("escrow:1") == 0 and s.ledger_sums() == (0, 0)
    profile = s.conn.execute("SELECT * FROM runner_profiles WHERE user_id=?", (runner1,)).fetchone()
    assert profile["status"] == "approved" and profile["quiz_passed"] == 1 and profile["active_orders"] == 0
    assert s.pending_console_outbox() == 0  # the console delivered (and marked) every message
    # The transcript shows what each persona saw.
    assert "@runner1> hall#1" in out and "[hall #1]" in out and "[hall · edited #1]" in out
    assert "[to @runner1] Order #1 is complete." in out
    assert "order #1 Parcel pickup: completed" in out
    assert f"@runner1 runner balance {order['runner_share'] / 100:.2f}" in out
    assert "no errors" in out


def test_grab_race_example_has_exactly_one_winner(tmp_path, capsys):
    code, out, path = run(EXAMPLES / "grab_race.txt", tmp_path, capsys)
    assert code == 0, out
    s = State(path)
    order = s.order(1)
    racers = {s.user("runner1"), s.user("runner2")}
    assert order["status"] == "accepted" and order["runner_id"] in racers
    assert s.events(1) == ["pay", "accept"]
    busy = [r[0] for r in s.conn.execute("SELECT active_orders FROM runner_profiles ORDER BY user_id")]
    assert sorted(busy) == [0, 0, 1]
    assert out.count("You got the order.") == 1
    assert out.count("Someone else took this order.") == 2  # the other racer, then runner3's /grab 1
    assert s.balance("escrow:1") == order["total"] and s.ledger_sums() == (0, 0)


def test_cancellation_example_refunds_in_full(tmp_path, capsys):
    code, out, path = run(EXAMPLES / "cancellation.txt", tmp_path, capsys)
    assert code == 0, out
    s = State(path)
    order = s.order(1)
    assert order["status"] == "cancelled" and order["runner_id"] is None
    assert s.events(1) == ["pay", "cancel"]
    assert s.balance(f"customer:{s.user('alice')}") == 1000
    assert s.balance("escrow:1") == 0 and s.ledger_sums() == (0, 0)
    assert "hall-gone" in s.outbox_keys() or "notice-hall-gone" in s.outbox_keys()


def test_timeout_example_expires_and_refunds(tmp_path, capsys):
    code, out, path = run(EXAMPLES / "timeout_refund.txt", tmp_path, capsys)
    assert code == 0, out
    s = State(path)
    order = s.order(1)
    assert order["status"] == "expired"
    assert s.events(1) == ["pay", "expire"]
    assert s.balance(f"customer:{s.user('alice')}") == 1000
    assert s.balance("escrow:1") == 0 and s.ledger_sums() == (0, 0)
    keys = s.outbox_keys()
    # Reminded at 10:10 and, within the second step, at 10:20; expired at 10:30.
    assert keys.count("sweep-hall-reminder") == 2 and keys.count("notice-expired") == 1
    assert "timers: reannounced 1" in out and "timers: expired 1, reannounced 1" in out


def test_an_example_runs_as_a_real_process(tmp_path):
    """The command in the issue, as a user types it: a temporary database, the transcript, exit 0."""
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "console", "--script",
                             str(ROOT / "examples" / "timeout_refund.txt")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "ENCRYPTION_KEYS": Cipher.new_key()})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "order #1 Parcel pickup: expired" in result.stdout


@pytest.fixture
def console_pg_url():
    """A database of its own (the console migrates it), named for this run so concurrent runs never share it."""
    name = f"paotui_console_test_{os.getpid()}"
    try:
        url = asyncio.run(fresh_postgres(PG_ADMIN_URL, name))
    except (OSError, asyncio.TimeoutError) as exc:
        service_missing("PostgreSQL", f"{PG_ADMIN_URL}: {exc}")
    yield url
    asyncio.run(drop_postgres(PG_ADMIN_URL, name))


@pytest.mark.postgres
def test_full_order_example_on_postgresql(console_pg_url, capsys):
    code = main.main(["console", "--script", str(EXAMPLES / "full_order.txt"), "--database", console_pg_url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "order #1 Parcel pickup: completed" in out and "ledger total 0.00" in out

    async def check() -> tuple:
        database = Database(console_pg_url)
        async with database.engine.connect() as conn:
            status = (await conn.execute(text("SELECT status FROM orders WHERE id = 1"))).scalar_one()
            total = (await conn.execute(text("SELECT COALESCE(SUM(balance), 0) FROM accounts"))).scalar_one()
        await database.dispose()
        return status, total

    assert asyncio.run(check()) == ("completed", 0)


def test_database_takes_the_url_forms_database_url_takes(tmp_path, capsys):
    # Before: sqlite:/// ended in InvalidRequestError ("The asyncio extension requires an async driver").
    code = main.main(["console", "--script", str(EXAMPLES / "cancellation.txt"),
                      "--database", f"sqlite:///{tmp_path / 'plain.db'}"])
    assert code == 0, capsys.readouterr().err
    assert "order #1 Parcel pickup: cancelled" in capsys.readouterr().out


@pytest.mark.parametrize(("url", "code", "said"), [
    ("paotui.db", 2, "paotui cannot start: --database must be like postgresql+asyncpg://"),
    ("postgresql://paotui:very-secret@127.0.0.1:1/paotui", 1,  # nothing listens there
     "paotui cannot start: the database at postgresql+asyncpg://paotui:***@127.0.0.1:1/paotui cannot be used"),
])
def test_a_database_that_is_no_url_or_is_down_is_one_line(url, code, said, tmp_path, capsys):
    # Before: a traceback (ArgumentError; ConnectionRefusedError).
    assert main.main(["console", "--script", str(EXAMPLES / "cancellation.txt"), "--database", url]) == code
    out = capsys.readouterr()
    assert out.err.startswith(said) and out.err.count("\n") == 1 and "very-secret" not in out.err and not out.out


# --- exit codes and errors ----------------------------------------------------------------------------------------

def test_a_missing_file_or_a_line_that_means_nothing_is_a_bad_file(tmp_path, capsys):
    code, out, _ = run(tmp_path / "nope.txt", tmp_path, capsys)
    assert code == 2 and "Cannot run the script" in out
    script = write(tmp_path, "@clock 2026-11-23T10:00+08:00\n@alice /start\nhello there\n@clock soon\n@hall #1\n")
    code, out, db = run(script, tmp_path, capsys)
    assert code == 2
    assert 'line 3: expected "@persona input"' in out and "line 4:" in out and "line 5:" in out
    assert "nothing was run" in out and not db.exists()


def test_a_script_saved_with_a_byte_order_mark_runs(tmp_path, capsys):
    # Windows Notepad saves UTF-8 with a BOM; before, line 1 was refused ("\ufeff@clock" is no "@persona input").
    script = tmp_path / "script.txt"
    script.write_text("\ufeff@clock 2026-11-23T10:00+08:00\n@alice /start\n", encoding="utf-8")
    code, out, _ = run(script, tmp_path, capsys)
    assert code == 0, out
    assert "clock 2026-11-23T10:00+08:00" in out


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "order #1 Parcel pickup: cancelled · customer @alice"),
    ("zh_CN", "订单 #1 代取快递：已取消 · 下单 @alice"),
])
def test_the_summary_words_each_orders_task_and_status_in_the_consoles_language(lang, said, tmp_path, capsys):
    # Before, under --lang zh_CN: "订单 #1 parcel：cancelled", the codes of the database.
    code, out, _ = run(EXAMPLES / "cancellation.txt", tmp_path, capsys, "--lang", lang)
    assert code == 0 and said in out.split("== ")[-1], out


@pytest.mark.parametrize(("lang", "said"), [
    ("en", '--start "+31m" is not a time: write one like 2026-11-23T10:00+08:00'),
    ("zh_CN", '--start "+31m" 不是时间：请写成 2026-11-23T10:00+08:00 这样的时间'),
])
def test_a_start_that_is_no_time_is_told_to_be_a_time(lang, said, tmp_path, capsys):
    # Before: "is not a time step: write +31m, ..." — the advice for @clock, which --start refuses.
    code, out, _ = run(EXAMPLES / "cancellation.txt", tmp_path, capsys, "--start", "+31m", "--lang", lang)
    assert code == 2 and out.startswith(said) and "+2h" not in out


def test_a_line_that_cannot_run_is_reported_and_fails_the_script(tmp_path, capsys):
    script = write(tmp_path, "@alice /start\n@alice #7\n@bob hall#1\n@alice [English]\n")
    code, out, _ = run(script, tmp_path, capsys, "--start", "2026-11-23T10:00+08:00")
    assert code == 1
    assert "! @alice has no button #7. Buttons: (1) 中文 (2) English" in out
    assert "! Nothing has been posted in the task hall yet." in out
    assert "Language set to English." in out  # the script went on after the errors
    assert "2 line(s) could not be run" in out


def test_a_crash_prints_the_traceback_and_stops(tmp_path, capsys, monkeypatch):
    from handlers.app import App

    original = App.handle

    async def handle(self, inp):  # noqa: ANN001, ANN202
        if inp.text == "boom":
            raise RuntimeError("kaboom")
        return await original(self, inp)

    monkeypatch.setattr(App, "handle", handle)
    script = write(tmp_path, "@alice /start\n@alice boom\n@alice [English]\n")
    code, out, _ = run(script, tmp_path, capsys)
    assert code == 1
    assert "RuntimeError: kaboom" in out and "line 2 crashed; stopping." in out
    assert "Language set to English." not in out and "final state" not in out


def test_the_clock_moves_only_when_told_and_runs_the_timers(tmp_path, capsys):
    script = write(tmp_path, "@clock 2026-11-23T10:00+08:00\n@sweep\n@clock +1h30m\n@clock +1d\n")
    code, out, _ = run(script, tmp_path, capsys, "--start", "2026-01-01T00:00+08:00")
    assert code == 0, out
    assert "clock 2026-11-23T10:00+08:00 · timers: -" in out
    assert "clock 2026-11-23T11:30+08:00" in out and "clock 2026-11-24T11:30+08:00" in out



def test_a_clock_jump_applies_each_deadline_when_it_fell_due(tmp_path, capsys):
    """@clock moves time on as if the service had run all along: the hall is reminded at 23:10 and 23:20, the order
    expires at 23:30, on that day. Before, one sweep at the jump's end booked the expiry at 01:00 the next day, so
    /find and /report put it on the 24th (and the hall was reminded once)."""
    paid = (EXAMPLES / "timeout_refund.txt").read_text(encoding="utf-8").split("# Ten minutes on")[0]
    script = write(tmp_path, paid.replace("2026-11-23T10:00", "2026-11-23T23:00")
                   + "@clock +2h\n@admin /start\n@admin [English]\n@admin /find 1\n@admin /report 2\n")
    code, out, path = run(script, tmp_path, capsys)
    assert code == 0, out
    assert "clock 2026-11-24T01:00+08:00 · timers: expired 1, reannounced 2" in out
    assert "11-23 23:30 expired: waiting for a runner → expired (refunded) · system" in out
    assert "11-23: 1 · 0 · 1 · 0.00 · 0.00 · 0.00 · 5.60" in out  # its whole price refunded that day
    assert "11-24: 0 · 0 · 0 · 0.00 · 0.00 · 0.00 · 0.00" in out
    assert State(path).outbox_keys().count("sweep-hall-reminder") == 2


def test_a_clock_jump_runs_on_what_a_deadline_sets_in_motion(tmp_path, capsys):
    """A runner who grabs at 10:00 and never picks up: back in the hall at 10:30 (pickup timeout), and, nobody
    taking it then, expired 30 minutes later, within the one jump. Before, the jump's one sweep at 12:00 only gave it
    back to the hall, to wait until 12:30."""
    grabbed = (EXAMPLES / "full_order.txt").read_text(encoding="utf-8").split("# --- the trip")[0]
    code, out, path = run(write(tmp_path, grabbed + "@clock +2h\n"), tmp_path, capsys)
    assert code == 0, out
    s = State(path)
    assert s.order(1)["status"] == "expired"
    assert s.events(1) == ["pay", "accept", "pickup_timeout", "expire"]
    stamped = [r[0][11:16] for r in s.conn.execute(
        "SELECT at FROM order_events WHERE order_id=1 AND event IN ('pickup_timeout', 'expire') ORDER BY id")]
    assert stamped == ["02:30", "03:00"]  # UTC: 10:30 and 11:00 in Shanghai


def test_an_application_is_shown_with_its_student_card_photo(tmp_path, capsys):
    script = write(tmp_path, "@alice /start\n@alice [English]\n@alice /apply\n@alice 王小明\n@alice 2024001234\n"
                             "@alice [female]\n@alice @photo card.jpg\n@admin /start\n@admin [English]\n"
                             "@admin /applications\n")
    code, out, _ = run(script, tmp_path, capsys, "--start", "2026-11-23T10:00+08:00")
    assert code == 0, out
    assert "[photo card.jpg] Application from alice (#1)" in out and "Student card photo: attached" in out

def test_a_contact_card_shared_at_the_phone_question_answers_it_as_the_number_typed(tmp_path, capsys):
    script = write(tmp_path, "@alice /start\n@alice [English]\n@alice /order\n@alice [Parcel pickup]\n@alice 快递站\n"
                             "@alice F3\n@alice 3-502\n@alice 5\n@alice @contact +86 138 0013 8000\n")
    code, out, db = run(script, tmp_path, capsys, "--start", "2026-11-23T10:00+08:00")
    assert code == 0, out
    assert "Which parcel? Write the pickup code" in out.split("@contact")[-1]  # on to the next question
    (phone_enc,) = sqlite3.connect(db).execute("SELECT phone_enc FROM users WHERE external_id='alice'").fetchone()
    assert Cipher([os.environ["ENCRYPTION_KEYS"]]).decrypt(phone_enc) == "+8613800138000"


def test_a_report_is_shown_with_the_file_its_chart_was_drawn_into(tmp_path, capsys, monkeypatch):
    charts = tmp_path / "charts"
    monkeypatch.setattr("bot.console.session.CHARTS", charts)
    script = write(tmp_path, "@admin /start\n@admin [English]\n@admin /report 2\n")
    code, out, _ = run(script, tmp_path, capsys, "--start", "2026-11-23T10:00+08:00")
    assert code == 0, out
    (drawn,) = charts.iterdir()
    assert drawn.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"[chart: {drawn}] The last 2 days, 2026-11-22 to 2026-11-23:" in out


# --- the grammar --------------------------------------------------------------------------------------------------

def test_lines_parse_into_what_they_mean():
    tz = SHANGHAI
    assert parse_line("   ", tz) is None
    assert parse_line("# a note", tz) == Comment("# a note")
    assert parse_line("@alice /order", tz) == Act(("alice",), Text("/order"), "/order")
    assert parse_line("@alice #2", tz).action == Press(which=2)
    assert parse_line("@alice [English]", tz).action == Press(label="English")
    assert parse_line("@runner1 hall#1", tz).action == HallPress(which=1)
    assert parse_line("@runner1 hall.3[抢单]", tz).action == HallPress(label="抢单", message=3)
    assert parse_line("@r1,r2 hall#1", tz).personas == ("r1", "r2")
    assert parse_line("@alice @loc 30.2621,120.1215", tz).action == Location(30.2621, 120.1215)
    assert parse_line("@alice @photo card.jpg", tz).action == Photo("card.jpg")
    assert parse_line("@alice @contact +86 138 0013 8000", tz).action == Contact("+86 138 0013 8000")
    assert parse_line("@clock +31m", tz) == ClockLine(step=dt.timedelta(minutes=31))
    assert parse_line("@clock 2026-11-23T10:00", tz) == ClockLine(at=dt.datetime(2026, 11, 23, 10, tzinfo=tz))
    assert parse_line("@sweep", tz) == SweepLine()
    # At the prompt: "@alice" alone switches, bare input goes to the current persona, "#2" is a press.
    assert parse_line("@alice", tz, interactive=True) == Switch("alice")
    assert parse_line("#2", tz, interactive=True, current="alice") == Act(("alice",), Press(which=2), "#2")
    for bad, key in [("hello", "console-error-syntax"), ("@alice", "console-error-empty-input"),
                     ("@clock later", "console-error-clock"), ("@hall #1", "console-error-persona"),
                     ("@al ice", None), ("@alice @loc north", "console-error-location"),
                     ("@alice @photo", "console-error-photo"), ("@a!b hi", "console-error-persona"),
                     ("@alice @contact", "console-error-contact")]:
        if key is None:
            continue
        with pytest.raises(LineError) as err:
            parse_line(bad, tz)
        assert err.value.key == key, bad
    with pytest.raises(LineError) as err:
        parse_line("hello", tz, interactive=True)
    assert err.value.key == "console-error-choose-persona"


def test_clock_steps():
    assert parse_step("+31m") == dt.timedelta(minutes=31)
    assert parse_step("+2h") == dt.timedelta(hours=2)
    assert parse_step("+1d") == dt.timedelta(days=1)
    assert parse_step("+1h30m") == dt.timedelta(hours=1, minutes=30)
    assert parse_step("+90s") == dt.timedelta(seconds=90)
    for bad in ("31m", "+", "+0m", "+m", "+5x", "+5m3"):
        assert parse_step(bad) is None, bad
    clock = ConsoleClock(dt.datetime(2026, 11, 23, 2, tzinfo=dt.timezone.utc))
    assert clock() == clock()  # frozen
    assert clock.advance(dt.timedelta(minutes=5)) == dt.datetime(2026, 11, 23, 2, 5, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("step", ["+99999999999d", "+3000000d", "+3651d"])
def test_a_clock_step_too_far_is_a_bad_line_not_a_crash(step, tmp_path, capsys):
    # Before: OverflowError (a timedelta too big to make, or a time past year 9999), "line 2 crashed".
    code, out, db = run(write(tmp_path, f"@clock 2026-11-23T10:00+08:00\n@clock {step}\n@alice /start\n"),
                        tmp_path, capsys)
    assert code == 2 and f'line 2: "{step}" moves the clock too far: at most +3650d (ten years)' in out
    assert "nothing was run" in out and not db.exists()


def test_a_step_past_the_year_9999_leaves_the_clock_where_it_was():
    clock = ConsoleClock(dt.datetime(9999, 6, 1, tzinfo=dt.timezone.utc))
    with pytest.raises(StepTooFar):
        clock.advance(MAX_STEP)
    assert clock() == dt.datetime(9999, 6, 1, tzinfo=dt.timezone.utc)  # before: every later reading overflowed
    assert parse_step("+3650d") == MAX_STEP


# --- interactive mode ---------------------------------------------------------------------------------------------

@pytest.fixture
def services(db, campus):
    from handlers.context import Services

    clock = ConsoleClock(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc))  # 10:00 in Shanghai
    return Services(db=db, campuses={campus.id: campus}, cipher=Cipher([Cipher.new_key()]), clock=clock)


async def test_the_prompt_switches_personas_and_presses_buttons(services):
    typed = iter(["#1", "@alice", "/start", "#2", "@bob hello", "#9", "@alice", "/menu", "@clock +5m", "", "/quit",
                  "never read"])
    prompts: list[str] = []
    shown: list[str] = []

    def input_fn(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    code = await run_interactive(services, input_fn=input_fn, write=shown.append, sweep_seconds=None)
    assert code == 0
    out = "\n".join(shown)
    assert "! Choose who you are first: type @alice (or any name)." in out
    assert prompts[:5] == ["> ", "> ", "alice> ", "alice> ", "alice> "]
    assert "Language set to English." in out  # "#2" pressed alice's English button
    assert prompts[5] == "bob> "  # "@bob hello" made you bob
    assert "! @bob has no button #9. Buttons: (1) 发布跑腿" in out  # bob's menu is in Chinese: he never chose
    assert "What would you like to do?" in out  # alice's /menu, in her language
    assert "clock 2026-11-23T10:05+08:00" in out and out.endswith("Bye.")
    assert len(prompts) == 11  # nothing read after /quit


async def test_the_prompt_runs_the_timers_and_ends_on_eof(services):
    typed = iter(["@alice /start", "@clock +1m"])

    def input_fn(prompt: str) -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    shown: list[str] = []
    assert await run_interactive(services, input_fn=input_fn, write=shown.append, sweep_seconds=None) == 0
    assert any("clock 2026-11-23T10:01+08:00" in line for line in shown)
    assert shown[-1] == "Bye."


@pytest.mark.parametrize("step", ["+99999999999d", "+3000000d"])
async def test_a_clock_step_too_far_at_the_prompt_leaves_the_console_working(services, step):
    typed = iter([f"@clock {step}", "@alice /start", "@clock +5m", "/quit"])
    shown: list[str] = []
    code = await run_interactive(services, input_fn=lambda _prompt: next(typed), write=shown.append, sweep_seconds=None)
    out = "\n".join(shown)
    assert code == 0 and out.endswith("Bye.")
    assert f'"{step}" moves the clock too far' in out
    assert "请选择语言" in out  # before: the prompt died (the first), or every later line crashed (the second)
    assert "clock 2026-11-23T10:05+08:00" in out  # the clock did not move for the refused step


def test_the_halls_reminder_comes_as_a_new_post_at_the_bottom_as_on_telegram(tmp_path, capsys):
    # Before, the console showed it as an edit of the first post, and "hall#1" then pressed another order's.
    code, out, _ = run(EXAMPLES / "timeout_refund.txt", tmp_path, capsys)
    assert code == 0, out
    assert "[hall · edited #1] 订单 #1 仍在等待跑腿员" not in out
    assert "[hall #2] 订单 #1 仍在等待跑腿员" in out


def test_an_operator_who_chose_english_reads_the_operators_notices_in_english_too(tmp_path, capsys):
    # Before, the console's operator got their own answers in English and the operators' notices in Chinese.
    script = write(tmp_path, "@clock 2026-11-23T10:00+08:00\n@admin /start\n@admin [English]\n"
                             "@runner1 /start\n@runner1 [English]\n@runner1 /apply\n@runner1 Li Lei\n"
                             "@runner1 2024123456\n@runner1 [Male]\n@runner1 @photo card.jpg\n")
    code, out, _ = run(script, tmp_path, capsys)
    assert code == 0, out
    assert "[to @admin] New runner application from runner1" in out


def test_a_button_its_message_lost_in_an_edit_is_neither_pressed_nor_listed(tmp_path, capsys):
    # "Paid ..." replaces the quote and its Pay button (Telegram edits the buttons away); before, #1 still paid.
    lines = (EXAMPLES / "cancellation.txt").read_text(encoding="utf-8").splitlines()
    paid = lines.index("@alice [Pay with wallet]") + 1
    code, out, _ = run(write(tmp_path, "\n".join(lines[:paid] + ["@alice #1", "@alice [Confirm]", ""])),
                       tmp_path, capsys)
    tail = out.split("@alice> #1", 1)[1]
    assert "! @alice has no buttons to press." in tail
    assert "Order #1 is already paid." not in tail and "Buttons: (1) Pay with wallet" not in tail


async def test_an_outbox_edit_without_buttons_takes_them_off_only_the_message_it_edits(services):
    from bot.console.session import Block, ConsoleSession

    session = ConsoleSession(services, write=lambda _line: None)
    block = Block(session.t)
    offer = [[{"label": "Accept", "data": "g:1"}, {"label": "Decline", "data": "offer:1:decline"}]]
    session._show_message(block, "bob", {"text": "Order #1 is offered to you", "edit_key": "offer:1", "choices": offer})
    session._show_message(block, "bob", {"text": "Rate it", "choices": [[{"label": "Good", "data": "rate:2:5"}]]})
    session._flush(block)
    block = Block(session.t)
    session._show_message(block, "bob", {"text": "The offer of order #1 has ended.", "edit_key": "offer:1"})
    session._flush(block)
    assert block.out == ["  [to @bob · edited] The offer of order #1 has ended."]
    with pytest.raises(LineError) as refused:  # before: #1 still accepted the ended offer
        session._input("bob", Press(which=1))
    assert refused.value.args_["buttons"] == "(3) Good"  # the other message keeps its button, and its number
    assert session._input("bob", Press(which=3)).choice == "rate:2:5"


def test_a_typed_approve_edits_the_application_card_the_operator_was_shown(tmp_path, capsys):
    # As on Telegram (storage.cards): the card's Approve and Reject go; before, the card kept them, and #1 answered.
    script = write(tmp_path, "@clock 2026-11-23T10:00+08:00\n@admin /start\n@admin [English]\n@runner1 /start\n"
                             "@runner1 [English]\n@runner1 /apply\n@runner1 Li Lei\n@runner1 2024123456\n"
                             "@runner1 [Male]\n@runner1 @photo card.jpg\n@admin /applications\n@admin /approve 2\n"
                             "@admin #1\n")
    code, out, _ = run(script, tmp_path, capsys)
    after = out.split("@admin> /approve 2", 1)[1]
    assert "  [edited] Approved: runner1 (#2) is a runner now." in after
    assert "! @admin has no buttons to press." in after and "Already decided" not in after


def test_charts_go_to_a_folder_only_their_user_reads(monkeypatch):
    import stat

    from bot.console import session
    from handlers.reports import DayFigures, report_chart
    monkeypatch.setattr(session, "CHARTS", None)
    days = [dt.date(2026, 11, 17) + dt.timedelta(days=n) for n in range(7)]
    drawn = session.saved_chart(report_chart(days, [DayFigures(0, {"completed": 0}, 0, 0, 0, 0) for _ in days]))
    assert stat.S_IMODE(drawn.parent.stat().st_mode) & 0o077 == 0  # before: /tmp/paotui-charts, 0o755, shared
    assert drawn.parent.name.startswith("paotui-charts-") and drawn.parent != Path(tempfile.gettempdir())
