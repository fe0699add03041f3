"""Importing this registers every conversation on the router. One module per flow."""
from handlers import admin, hall, location, ordering, runner, service_hours, start, tracking, wallet  # noqa: F401
