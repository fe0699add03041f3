"""Importing this registers every conversation on the router. One module per flow."""
from handlers import admin, hall, ordering, runner, start, tracking, wallet  # noqa: F401
