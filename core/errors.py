"""Domain errors. Each carries a catalogue key so every channel can say it in the user's language."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the domain refuses. `key` names the message in locales/, `args` fill it in."""

    key = "error-generic"
    heading: str | None = None  # a line said above the message (the campus an operator's refusal is for)

    def __init__(self, key: str | None = None, **args: Any) -> None:
        self.key = key or self.key
        self.args_ = args
        super().__init__(f"{self.key} {args}" if args else self.key)


class IllegalTransition(DomainError):
    key = "error-illegal-transition"


class NotAllowed(DomainError):
    key = "error-not-allowed"


class NotEligible(DomainError):
    key = "error-not-eligible"


class LedgerError(DomainError):
    key = "error-ledger"


class InsufficientFunds(LedgerError):
    key = "error-insufficient-funds"


class UnknownBuilding(DomainError):
    key = "error-unknown-building"


class InvalidInput(DomainError):
    key = "error-invalid-input"
