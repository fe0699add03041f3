"""`main.py quote` prints the same itemised price a student will see."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.campus_file import load_campus
from core.money import format_yuan

ROOT = Path(__file__).resolve().parent.parent
CAMPUS = load_campus(ROOT / "campus" / "demo.yaml")


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", "quote", *args], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path)})


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
    assert f"Total" in text and format_yuan(q["total"]) in text.splitlines()[-3]


@pytest.mark.parametrize("args, message", [
    (("--to", "Hogwarts", "--type", "parcel", "--from", "library"), "Hogwarts"),
    (("--to", "F1", "--from", "library", "--type", "parcel", "--weight", "99"), "25"),
    (("--to", "F1", "--from", "library", "--type", "parcel", "--weight", "abc"), "abc"),
])
def test_bad_quote_input_is_explained(tmp_path, args, message):
    result = run(*args, "--lang", "en", tmp_path=tmp_path)
    assert result.returncode == 2 and message in result.stderr and not result.stdout
