"""A campus file an operator got wrong is refused at start, naming the file, the field and the problem."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.campus_file import CampusFileError, load_campus

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
    ],
)
def test_a_wrong_file_is_refused_with_file_field_and_reason(tmp_path, mutate, field, words):
    path = write(tmp_path, broken(mutate))
    with pytest.raises(CampusFileError) as err:
        load_campus(path)
    message = str(err.value)
    assert str(path) in message and f": {field}:" in message and words in message, message


def test_the_service_refuses_to_start_with_a_wrong_file(tmp_path):
    path = write(tmp_path, broken(lambda d: d["pricing"]["base"].pop("buy")))
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "campus"], cwd=tmp_path, capture_output=True,
                            text=True, env={"CAMPUS_FILES": str(path), "PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert str(path) in result.stderr and "pricing.base" in result.stderr


def test_not_yaml_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(CampusFileError, match="not valid YAML"):
        load_campus(path)
