"""Importing this registers every conversation on the router. One module per flow."""
from handlers import start  # noqa: F401
