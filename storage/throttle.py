"""How fast one person may send to the bot: moving windows per person (the `limits` library), in this process's
memory or, with several processes, shared through Redis. A flood (a script, a stuck key) is refused before it
costs a transaction, and messages passed on to the other side of an order are held to a human pace, so a runner's
chat is not buried under one student's hundreds of /msg (Telegram sends a chat about one message a second, and
their offers would wait behind them)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from limits import RateLimitItem, parse, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class ThrottleConfig:
    inputs: str = "20/10 seconds;60/minute"  # anything a person sends or presses
    relays: str = "10/minute"  # messages passed on to the other side of an order (/msg, the chat, photos)


log = logging.getLogger(__name__)

# A refused person is told once a minute at most: answering every refused input would flood their own chat.
_TOLD: RateLimitItem = parse("1/minute")


class Throttle:
    def __init__(self, storage: Storage | None = None, config: ThrottleConfig = ThrottleConfig()) -> None:
        self.window = MovingWindowRateLimiter(storage if storage is not None else MemoryStorage())
        self.limits = {"input": parse_many(config.inputs), "relay": parse_many(config.relays)}

    @classmethod
    def for_redis(cls, redis_url: str | None, config: ThrottleConfig = ThrottleConfig()) -> Throttle:
        """Shared by every process through Redis (settings.redis_url), or this process's own without one."""
        if not redis_url:
            return cls(config=config)
        url = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
        return cls(RedisStorage(url, implementation="redispy", key_prefix="paotui"), config)

    async def allow(self, kind: str, who: str) -> bool:
        """One more of `kind` ("input", "relay") from `who` (channel:id), counted if it is within every window. A
        storage that cannot be reached (Redis down) lets everyone through: a limit must not make the bot deaf."""
        items = self.limits[kind]
        try:
            for item in items:
                if not await self.window.test(item, kind, who):
                    return False
            for item in items:
                await self.window.hit(item, kind, who)
        except Exception as exc:  # noqa: BLE001 - whatever the storage's client raises
            log.warning("throttle storage unavailable, %s from %s let through: %r", kind, who, exc)
        return True

    async def tell(self, kind: str, who: str) -> bool:
        """Whether to tell `who` they were refused now: the first refusal of a minute is answered, the rest not."""
        try:
            return await self.window.hit(_TOLD, "told", kind, who)
        except Exception:  # noqa: BLE001 - as in allow: told, rather than never
            return True
