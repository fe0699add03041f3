"""The local console channel (design.md §6): the same flows in a terminal, several personas at once, and a
scripted mode that replays a file of inputs — for trying paotui with no token and for end-to-end tests."""
from bot.console.clock import ConsoleClock
from bot.console.runner import final_state, read_script, run_interactive, run_script
from bot.console.session import ConsoleSession

__all__ = ["ConsoleClock", "ConsoleSession", "final_state", "read_script", "run_interactive", "run_script"]
