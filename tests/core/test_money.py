"""Amounts typed in yuan: only plain decimal numbers are amounts."""
import pytest

from core.money import MoneyError, percent_to_bp, yuan_to_fen


@pytest.mark.parametrize("text, fen", [("3", 300), ("3.5", 350), ("3.50", 350), (" 0.05 ", 5), ("３", 300)])
def test_plain_amounts(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["1e1", "1E-2", "NaN", "Infinity", "1_000", "3.500", "3.555", ".", "", "1.2.3"])
def test_exponents_specials_and_more_than_two_decimals_are_no_amount(text):
    with pytest.raises(MoneyError):
        yuan_to_fen(text)


def test_a_percentage_with_an_exponent_is_no_percentage():
    assert percent_to_bp("12.5%") == 1250
    with pytest.raises(MoneyError):
        percent_to_bp("1e1")
