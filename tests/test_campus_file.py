"""A campus file an operator got wrong is refused at start, naming the file, the field and the problem."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.campus_file import CampusFileError, load_campus
from tests.conftest import NO_ENV_FILE

ROOT = Path(__file__).resolve().parent.parent
DEMO = yaml.safe_load((ROOT / "campus" / "demo.yaml").read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "my-campus.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def broken(mutate) -> dict:
    import copy

    data = copy.deepcopy(DEMO)
    mutate(data)
    return data


def test_demo_campus_has_what_the_product_needs():
    campus = load_campus(ROOT / "campus" / "demo.yaml")
    kinds = {b.kind.value for b in campus.buildings}
    assert len(campus.buildings) >= 20
    assert {"dorm", "canteen", "parcel_station", "shop", "library", "teaching", "gate"} <= kinds
    dorms = [b for b in campus.buildings if b.kind.value == "dorm"]
    assert {b.gender.value for b in dorms if b.gender} == {"male", "female"}
    assert any(b.lift for b in dorms) and any(not b.lift for b in dorms)
    for b in campus.buildings:
        assert any(not a.isascii() for a in (b.name, *b.aliases)) and b.name_en.isascii()
        if b.gender:
            assert campus.building(b.transfer_point).gender is None


@pytest.mark.parametrize(
    "mutate, field, words",
    [
        (lambda d: d["pricing"]["base"].pop("queue"), "pricing.base", "missing base price"),
        (lambda d: d["pricing"].update(urgent="3.333"), "pricing.urgent", "more than two decimals"),
        (lambda d: d["pricing"].update(floor_price=-1), "pricing.floor_price", "negative"),
        (lambda d: d["buildings"][0].pop("transfer_point"), "buildings[0]", "transfer_point"),
        (lambda d: d["buildings"][0].update(transfer_point="nowhere"), "(top level)", "not a building id"),
        (lambda d: d["buildings"][1].update(id="dorm_m1"), "(top level)", "duplicate building id"),
        (lambda d: d["buildings"][2].update(lat=123), "buildings[2].lat", "less than or equal to 90"),
        # Its id rides in a button's data, which Telegram caps at 64 bytes: a longer one left a button that did nothing.
        (lambda d: d["buildings"][2].update(id="b" * 41), "buildings[2].id", "at most 40 characters"),
        (lambda d: d["service_hours"][0].update(start="25:00"), "service_hours[0].start", "time of day"),
        (lambda d: d["timeouts"].update(reannounce_minutes=99), "timeouts", "shorter than accept_minutes"),
        (lambda d: d["credit"]["thresholds"].update(warning=200), "credit.thresholds", "priority > warning"),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone", "unknown timezone"),
        (lambda d: d.update(commission="150"), "commission", "0–100"),
        (lambda d: d["pricing"].update(surprise=1), "pricing.surprise", "Extra inputs"),
        # Every campus_id column is VARCHAR(32): a longer id crashed PostgreSQL at the first message.
        (lambda d: d.update(id="c" * 33), "id", "at most 32 characters"),
        # An operator named in another form is nobody: refused, naming the entry.
        (lambda d: d.update(operators=["console:admin", "telegram:@U777"]), "operators[1]",
         "'telegram:@U777' is not an operator: write telegram:<numeric user id>"),
        (lambda d: d.update(operators=["admin"]), "operators[0]", "'admin' is not an operator"),
        (lambda d: d.update(operators=["telegram:-1001000000002"]), "operators[0]", "is not an operator"),
        # Credit rules that would stop every runner: minimum <= grab_floor <= initial <= maximum.
        (lambda d: d["credit"].update(initial=50), "credit", "initial (50) is below grab_floor (60)"),
        (lambda d: d["credit"].update(grab_floor=200), "credit", "grab_floor (200) is above maximum (150)"),
        (lambda d: d["runners"].update(restricted_max_active_orders=4), "runners",
         "restricted_max_active_orders (4) is more than max_active_orders (3)"),
        (lambda d: d["runners"].update(quiz_pass_mark=5), "runners.quiz_pass_mark",
         "5 is more than the quiz's 4 questions"),
        # Service hours as /hours set takes them: no empty window, no window of no day, no overlap.
        (lambda d: d["service_hours"][1].update(start="08:00", end="08:00"), "service_hours[1]",
         "start and end are both 08:00, so the window is empty"),
        (lambda d: d["service_hours"][1].update(days=[]), "service_hours[1].days", "needs at least one day"),
        (lambda d: d["service_hours"].append({"days": ["sat"], "start": "09:00", "end": "18:00"}), "service_hours",
         "two windows overlap on sat"),
        (lambda d: d["service_hours"].append({"start": "23:00", "end": "07:30"}), "service_hours",
         "two windows overlap on mon"),  # every night into the next morning's 07:00, from Sunday's on
        (lambda d: d["service_hours"][0].update(start="24:00"), "service_hours[0].start", "time of day"),
    ],
)
def test_a_wrong_file_is_refused_with_file_field_and_reason(tmp_path, mutate, field, words):
    path = write(tmp_path, broken(mutate))
    with pytest.raises(CampusFileError) as err:
        load_campus(path)
    message = str(err.value)
    assert str(path) in message and f": {field}:" in message and words in message, message


def campus_command(tmp_path: Path, path: Path) -> subprocess.CompletedProcess:
    """`python main.py campus` on this campus file, from a directory of its own."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "campus"], cwd=tmp_path, capture_output=True,
                          text=True, env={"CAMPUS_FILES": str(path), "PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path),
                                          **NO_ENV_FILE})


def test_the_service_refuses_to_start_with_a_wrong_file(tmp_path):
    path = write(tmp_path, broken(lambda d: d["pricing"]["base"].pop("buy")))
    result = campus_command(tmp_path, path)
    assert result.returncode == 2
    assert str(path) in result.stderr and "pricing.base" in result.stderr


def test_not_yaml_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(CampusFileError, match="not valid YAML"):
        load_campus(path)


@pytest.mark.parametrize("rule, field", [("floor", "floor_price"), ("max_goods", "max_goods")])
def test_pricing_the_file_cannot_serve_is_refused_in_the_words_of_pricing(tmp_path, rule, field):
    """max_goods 0 refused every Buy for me amount; a floor of 0 with a 0 base made a 0.00 order nobody could pay.
    /pricing refuses both: the file does too, in its words."""
    from locales import catalogue

    path = write(tmp_path, broken(lambda d: d["pricing"].update({field: 0})))
    with pytest.raises(CampusFileError) as err:
        load_campus(path)
    assert f"{path}: pricing.{field}: Value error, {catalogue('en')('pricing-not-zero', rule=rule)}" in str(err.value)


@pytest.mark.parametrize("end", ['"24:00"', "24:00"])  # quoted, or unquoted (YAML 1.1 reads it as 1440)
def test_a_service_window_may_end_at_24_00_the_end_of_the_day(tmp_path, end):
    from core.campus import END_OF_DAY
    from core.pricing import in_window

    path = tmp_path / "my-campus.yaml"
    text = (ROOT / "campus" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace('start: "08:00", end: "24:00"}', f'start: "08:00", end: {end}}}')
    path.write_text(text, encoding="utf-8")
    weekend = load_campus(path).service_hours[1]
    assert weekend.end == END_OF_DAY
    assert in_window(dt.time(23, 59, 30), weekend.start, weekend.end) and not in_window(dt.time(0, 0), weekend.start,
                                                                                          weekend.end)


def test_the_demo_campus_is_open_until_midnight_at_the_weekend():
    """It shipped 08:00-23:59, closing the last minute of the day."""
    from core.campus import END_OF_DAY

    assert load_campus(ROOT / "campus" / "demo.yaml").service_hours[1].end == END_OF_DAY


def test_the_campus_summary_names_operators_chats_and_language(tmp_path):
    data = broken(lambda d: d.update(operators=["console:admin", "telegram:4242"], language="en"))
    data["channels"] = {"telegram_hall_chat_id": -1002000000001}
    path = write(tmp_path, data)
    result = campus_command(tmp_path, path)
    assert result.returncode == 0, result.stderr
    assert "  operators: console:admin, telegram:4242; language: en" in result.stdout
    assert "  telegram hall chat: -1002000000001; admin chat: not set" in result.stdout
    assert "sat,sun 08:00-24:00" in result.stdout


def test_telegram_refuses_to_start_with_a_campus_without_its_hall_or_admin_chat(tmp_path, monkeypatch, capsys):
    """Such a bot ran and silently dropped every hall post and operators' notice: a paid order was never announced."""
    import main

    good = write(tmp_path, DEMO)
    data = broken(lambda d: d.update(id="north"))
    del data["channels"]
    lacking = tmp_path / "north.yaml"
    lacking.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CAMPUS_FILES", f"{good},{lacking}")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:token")

    assert main.main(["run"]) == 2

    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"paotui cannot start: {lacking}: channels.telegram_hall_chat_id and "
                   "channels.telegram_admin_chat_id missing: on Telegram a campus needs its task-hall group and its "
                   "admin chat (add the bot to the group and send /chatid there to learn its id)"]
    assert not (tmp_path / "data").exists()  # stopped before touching the database

    data["channels"] = {"telegram_hall_chat_id": -1002000000001}
    lacking.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main.main(["run"]) == 2
    assert f"{lacking}: channels.telegram_admin_chat_id missing" in capsys.readouterr().err


def test_a_task_hall_that_is_also_the_admin_chat_is_refused(tmp_path):
    """Accepted before, and then a runner's grab answers went into the group and /grab there was refused."""
    path = write(tmp_path, broken(lambda d: d["channels"].update(telegram_admin_chat_id=-1001000000001)))
    result = campus_command(tmp_path, path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "paotui cannot start: the campus file is wrong.",
        f"{path}: channels: Value error, telegram_hall_chat_id and telegram_admin_chat_id are both -1001000000001: "
        "the task hall and the operators' chat must be two groups"]


@pytest.mark.parametrize(("north_channels", "chat"), [
    ({"telegram_hall_chat_id": -1001000000001, "telegram_admin_chat_id": -1003000000002}, -1001000000001),  # hall
    ({"telegram_hall_chat_id": -1003000000001, "telegram_admin_chat_id": -1001000000001}, -1001000000001),  # demo's
    ({"telegram_hall_chat_id": -1001000000002, "telegram_admin_chat_id": -1003000000002}, -1001000000002),  # hall
])  # the same hall; demo's hall as north's admin chat; demo's admin chat as north's hall
def test_a_hall_two_campus_files_name_is_refused(tmp_path, monkeypatch, capsys, north_channels, chat):
    import main

    demo = write(tmp_path, DEMO)
    north = tmp_path / "north.yaml"
    north.write_text(yaml.safe_dump(broken(lambda d: d.update(id="north", channels=north_channels)),
                                    allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CAMPUS_FILES", f"{demo},{north}")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))

    assert main.main(["campus"]) == 2

    demo_field = next(name for name, value in DEMO["channels"].items() if value == chat)
    field = next(name for name, value in north_channels.items() if value == chat)
    assert capsys.readouterr().err.splitlines() == [
        "paotui cannot start: the campus file is wrong.",
        f"{demo} and {north} both name the Telegram group {chat} (channels.{demo_field}, channels.{field}): "
        "a task hall is one campus's own group, no other campus's hall or admin chat"]
    assert not (tmp_path / "data").exists()


def test_campuses_may_share_their_operators_chat(tmp_path, monkeypatch, capsys):
    """Refused before, though a command in a shared operators' chat is judged against the sender's own campus."""
    import main

    demo = write(tmp_path, DEMO)
    north = tmp_path / "north.yaml"
    north.write_text(yaml.safe_dump(broken(lambda d: d.update(id="north", channels={
        "telegram_hall_chat_id": -1003000000001, "telegram_admin_chat_id": -1001000000002})),
        allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CAMPUS_FILES", f"{demo},{north}")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))

    assert main.main(["campus"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("window", "field", "words"), [
    ({"start": "00:00", "end": "00:00"}, "service_hours[0]", "start and end are both 00:00"),
    ({"days": [], "start": "07:00", "end": "23:00"}, "service_hours[0].days", "needs at least one day"),
])
def test_the_only_service_window_refused_is_said_once(tmp_path, window, field, words):
    # Before, a second line followed: "service_hours: Tuple should have at least 1 item after validation, not 0".
    path = write(tmp_path, broken(lambda d: d.update(service_hours=[window])))
    with pytest.raises(CampusFileError) as err:
        load_campus(path)
    [line] = str(err.value).splitlines()
    assert line.startswith(f"{path}: {field}: Value error, {words}")


def test_an_unquoted_24_00_start_is_refused_as_written(tmp_path):
    # YAML 1.1 reads an unquoted 24:00 as 1440 (minutes, sexagesimal): the refusal shows what the operator wrote.
    path = tmp_path / "my-campus.yaml"
    text = (ROOT / "campus" / "demo.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace('start: "08:00", end: "24:00"}', 'start: 24:00, end: 08:00}'), encoding="utf-8")
    with pytest.raises(CampusFileError) as err:
        load_campus(path)
    assert str(err.value) == (f"{path}: service_hours[1].start: Value error, expected a time of day like 07:30, "
                              "got '24:00'")
