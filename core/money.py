"""Money in integer fen (分). No floats ever touch an amount."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from core.numbers import plain_decimal

Fen = int
BASIS_POINTS = 10_000
# Money as people write it: yuan, perhaps with a currency mark before (¥5, RMB5) or a unit after (5元, 5块).
CURRENCY_MARK = r"[¥￥]|rmb|cny"
YUAN_UNIT = r"元|块钱|块|yuan|rmb"
_WRITTEN = re.compile(rf"(?:{CURRENCY_MARK})?(?P<yuan>.*?)(?:{YUAN_UNIT})?", re.IGNORECASE)


class MoneyError(ValueError):
    """A text or number that is not a valid amount."""


def yuan_to_fen(value: str | int | Decimal) -> Fen:
    """'3', '3.5', '3.50' → 350. More than two decimals or anything but a plain number ('1e1') is refused."""
    if isinstance(value, bool):
        raise MoneyError(f"not an amount: {value!r}")
    amount = plain_decimal(value) if isinstance(value, str) else Decimal(value)
    if amount is None or not amount.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    if amount.as_tuple().exponent < -2:  # written with more than two decimals, even '3.500'
        raise MoneyError(f"more than two decimals: {value!r}")
    return int(amount * 100)


def written_yuan_to_fen(text: str) -> Fen:
    """'5', '5.5', '¥5', 'RMB5', '5元', '5块' → fen, as yuan_to_fen reads the number."""
    return yuan_to_fen(_WRITTEN.fullmatch(text.strip())["yuan"])  # type: ignore[index]  # matches any text


def format_yuan(fen: Fen) -> str:
    """1250 → '12.50'; -5 → '-0.05'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def percent_to_bp(value: str | int | Decimal) -> int:
    """'15' or '12.5' percent → basis points (1500, 1250), 0–100 percent."""
    bp = percent_bp(value)
    if not 0 <= bp <= BASIS_POINTS:
        raise MoneyError(f"percentage must be 0–100 with at most two decimals: {value!r}")
    return bp


def percent_bp(value: str | int | Decimal) -> int:
    """'15' or '12.5' percent → basis points (1500, 1250), whatever their range (the caller says its own)."""
    percent = plain_decimal(str(value).strip().rstrip("%"))
    if percent is None:
        raise MoneyError(f"not a percentage: {value!r}")
    bp = percent * 100
    if bp != bp.to_integral_value():
        raise MoneyError(f"percentage must be 0–100 with at most two decimals: {value!r}")
    return int(bp)


def share(amount: Fen, bp: int) -> Fen:
    """amount × bp / 10000, rounded half up, exact in integers."""
    value = Decimal(amount) * bp / BASIS_POINTS
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
