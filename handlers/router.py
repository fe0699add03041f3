"""Where an input goes: commands by name, conversation steps by state, buttons by the prefix of their data."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import datetime as dt

    from handlers.context import Ctx, Services
    from handlers.io import Input, Kind, Reply

Handler = Callable[["Ctx"], Awaitable[None]]
# Runs outside the per-input transaction because it manages its own (the grab).
OutsideHandler = Callable[["Services", "Input", "dt.datetime"], Awaitable[list["Reply"]]]
T = TypeVar("T")


def by_state_prefix(table: dict[str, T], state: str) -> T | None:
    """The entry of a table keyed by conversation-state prefix ("order.", "admin.") that `state` falls under."""
    return next((entry for prefix, entry in table.items() if state.startswith(prefix)), None)


@dataclass
class Command:
    handler: Handler
    operator_only: bool = False
    private_only: bool = True  # not from the task-hall group
    # Anyone's command that an operator may type in the operators' chat too, answered there (/hours, /help).
    operators_chat: bool = False
    # It carries free text to another person (/msg, /complain): refused from any group, even one whose commands are
    # answered privately, as everyone there read the text.
    relays_text: bool = False
    # Left to a suspended account (handlers.app.left_to_suspended): what it has and what a runner earned stays theirs.
    while_suspended: bool = False


@dataclass
class Router:
    commands: dict[str, Command] = field(default_factory=dict)
    states: dict[str, Handler] = field(default_factory=dict)
    actions: dict[str, Handler] = field(default_factory=dict)
    outside: dict[str, OutsideHandler] = field(default_factory=dict)
    idle_kinds: dict[Kind, Handler] = field(default_factory=dict)  # by kind, with no conversation going on
    idle_default: Handler | None = None  # any other input with no conversation going on
    payment: Handler | None = None
    # By state prefix: what a bare /cancel does in a conversation that offers a way out of it (tracking.py).
    cancels: dict[str, Handler] = field(default_factory=dict)
    # By state prefix: what asks a form's current question again, so the form carries on after /language (start.py).
    questions: dict[str, Handler] = field(default_factory=dict)
    # The steps of the commands left to a suspended account (while_suspended), which it may answer too.
    suspended_steps: set[str] = field(default_factory=set)

    def idle(self, kind: Kind) -> Handler | None:
        """What takes an input of this kind with no conversation going on: the handler of its kind (a shared
        location goes to /nearby), else the default one (start.py's hint and menu)."""
        return self.idle_kinds.get(kind, self.idle_default)

    def bare_cancel(self, state: str) -> Handler | None:
        """What ends the conversation in this state on a bare /cancel; None: there is nothing such to end."""
        return by_state_prefix(self.cancels, state)

    def question(self, state: str) -> Handler | None:
        """What asks the current question of the form in this state again; None: no form is waiting for an answer."""
        return by_state_prefix(self.questions, state)

    def command(self, *names: str, operator_only: bool = False, private_only: bool = True,  # noqa: ANN201
                operators_chat: bool = False, relays_text: bool = False, while_suspended: bool = False):
        def register(fn: Handler) -> Handler:
            for name in names:
                assert name not in self.commands, f"/{name} registered twice"
                self.commands[name] = Command(fn, operator_only, private_only, operators_chat, relays_text,
                                              while_suspended)
            return fn
        return register

    def state(self, *names: str, while_suspended: bool = False):  # noqa: ANN201
        def register(fn: Handler) -> Handler:
            for name in names:
                assert name not in self.states, f"state {name} registered twice"
                self.states[name] = fn
                if while_suspended:
                    self.suspended_steps.add(name)
            return fn
        return register

    def action(self, prefix: str):  # noqa: ANN201
        def register(fn: Handler) -> Handler:
            assert prefix not in self.actions and prefix != "s", f"action {prefix} registered twice"
            self.actions[prefix] = fn
            return fn
        return register

    def idle_input(self, kind: Kind):  # noqa: ANN201
        def register(fn: Handler) -> Handler:
            assert kind not in self.idle_kinds, f"idle {kind.value} registered twice"
            self.idle_kinds[kind] = fn
            return fn
        return register

    def ended_by_cancel(self, prefix: str):  # noqa: ANN201
        def register(fn: Handler) -> Handler:
            assert prefix not in self.cancels, f"/cancel of {prefix} registered twice"
            self.cancels[prefix] = fn
            return fn
        return register

    def asks_again(self, prefix: str):  # noqa: ANN201
        def register(fn: Handler) -> Handler:
            assert prefix not in self.questions, f"the question of {prefix} registered twice"
            self.questions[prefix] = fn
            return fn
        return register

    def outside_action(self, prefix: str):  # noqa: ANN201
        def register(fn: OutsideHandler) -> OutsideHandler:
            self.outside[prefix] = fn
            return fn
        return register


ROUTER = Router()
