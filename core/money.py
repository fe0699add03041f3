"""Money in integer fen (分). No floats ever touch an amount."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Fen = int
BASIS_POINTS = 10_000


class MoneyError(ValueError):
    """A text or number that is not a valid amount."""


def yuan_to_fen(value: str | int | Decimal) -> Fen:
    """'3', '3.5', '3.50' → 350. More than two decimals or a non-number is refused."""
    if isinstance(value, bool):
        raise MoneyError(f"not an amount: {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise MoneyError(f"more than two decimals: {value!r}")
    return int(fen)


def format_yuan(fen: Fen) -> str:
    """1250 → '12.50'; -5 → '-0.05'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def percent_to_bp(value: str | int | Decimal) -> int:
    """'15' or '12.5' percent → basis points (1500, 1250)."""
    try:
        bp = Decimal(str(value).strip().rstrip("%")) * 100
    except InvalidOperation as exc:
        raise MoneyError(f"not a percentage: {value!r}") from exc
    if bp != bp.to_integral_value() or not 0 <= bp <= BASIS_POINTS:
        raise MoneyError(f"percentage must be 0–100 with at most two decimals: {value!r}")
    return int(bp)


def share(amount: Fen, bp: int) -> Fen:
    """amount × bp / 10000, rounded half up, exact in integers."""
    value = Decimal(amount) * bp / BASIS_POINTS
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
