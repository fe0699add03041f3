"""Importing this registers every conversation on the router. One module per flow."""
from handlers import (  # noqa: F401
    admin,
    goods_extra,
    hall,
    location,
    ordering,
    pricing_rules,
    reports,
    runner,
    runner_credit,
    service_hours,
    start,
    tracking,
    wallet,
)
