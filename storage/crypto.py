"""Encryption of personal data at rest (Fernet: AES-128-CBC with HMAC), with key rotation."""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Cipher:
    """The first key encrypts; every key decrypts. To retire an old key: put a new key first, re-encrypt what is
    stored (`rotate`, by `python main.py rekey`: storage/rekey.py), then drop the old key."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, text: str | None) -> str | None:
        if text is None:
            return None
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("personal data could not be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """The same text encrypted with the first key (MultiFernet.rotate)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("personal data could not be decrypted with the configured keys") from exc

    def opens(self, token: str) -> bool:
        """Whether these keys decrypt the token."""
        try:
            self._fernet.decrypt(token.encode())
        except InvalidToken:
            return False
        return True
