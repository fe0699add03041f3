"""A fake Telegram Bot API server for tests: real HTTP on 127.0.0.1, checked against the Bot API spec.

Every request is checked against tests/data/telegram_methods.json (made from the shared Bot API spec by
tests/data/make_telegram_methods.py): the method must exist, every required parameter must be there, no parameter
may be unknown, and each value must have one of the parameter's types — objects (reply markup, buttons, prices,
command scopes …) are checked field by field, down to the leaves. A few documented value limits are checked too
(message text 1-4096 characters, which Telegram counts in UTF-16 code units; callback data 1-64 bytes). Anything
wrong is recorded in `violations`; the `fake_bot_api` fixture fails the test at teardown when there are any.

The fake keeps chats and the bot's messages, so sendMessage / editMessageText / … answer with realistic Message
objects that aiogram parses, and editing a message that does not exist fails like Telegram does, as does an invoice
whose total is outside the currency's bounds (CURRENCY_TOTAL_AMOUNT_INVALID). Tests push
updates (text, commands, button presses, locations, live-location edits, photos, payments) that getUpdates serves
by long polling, or that `deliver_webhook` posts to the webhook the bot registered. Faults can be scripted:
429 with retry_after, 403 for a chat that blocked the bot, 5xx, and dropped connections. A group can be upgraded
to a supergroup (`upgrade_group`): from then on every request for its old id answers 400 with
parameters.migrate_to_chat_id, as Telegram does (ResponseParameters) — except an edit of one of its messages, which
stay with the old group under their ids (the supergroup's own start again at 1): the Bot API refuses a deactivated
group only what needs write access (telegram-bot-api check_chat_access: sending, deleting …), not an edit — and the
service messages are pushed.

Request bodies are read the way aiogram (and any other client) may send them: JSON, form-urlencoded (aiogram's
usual encoding: scalars as text, objects and arrays as JSON text) or multipart/form-data (aiogram when it uploads
a file: the file in its own part, referenced from the parameter as attach://<part>). The query string counts too.
"""
from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

from aiohttp import web

SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "telegram_methods.json"
PRIMITIVES = {"String", "Integer", "Boolean", "Float", "InputFile"}
# (method or object type, field) → (min, max, unit): limits the Bot API documents in prose, checked on top.
VALUE_LIMITS: dict[tuple[str, str], tuple[int, int, str]] = {
    ("sendMessage", "text"): (1, 4096, "characters"),
    ("editMessageText", "text"): (1, 4096, "characters"),
    ("sendPhoto", "caption"): (0, 1024, "characters"),
    ("editMessageCaption", "caption"): (0, 1024, "characters"),
    ("answerCallbackQuery", "text"): (0, 200, "characters"),
    ("InlineKeyboardButton", "callback_data"): (1, 64, "bytes"),
    ("InlineKeyboardButton", "text"): (1, 4096, "characters"),
    ("sendInvoice", "title"): (1, 32, "characters"),
    ("sendInvoice", "description"): (1, 255, "characters"),
    ("sendInvoice", "payload"): (1, 128, "bytes"),
    ("BotCommand", "command"): (1, 32, "characters"),
    ("BotCommand", "description"): (1, 256, "characters"),
}
# The methods that change a message already sent: allowed in a group upgraded to a supergroup, on its old messages.
EDITS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia",
                   "editMessageLiveLocation", "stopMessageLiveLocation"})
T = TypeVar("T")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Invalid(Exception):
    """A value that does not fit the spec; the message says where and why."""


class Spec:
    """Checks decoded request parameters against the Bot API spec and converts form text to typed values."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version = data["version"]
        self.methods: dict[str, dict[str, Any]] = data["methods"]
        self.types: dict[str, dict[str, Any]] = data["types"]
        self._by_lower = {name.lower(): name for name in self.methods}

    def method(self, name: str) -> str | None:
        """The spec's name for a method; Telegram matches method names case-insensitively."""
        return self._by_lower.get(name.lower())

    def check_params(
        self, method: str, raw: dict[str, Any], files: dict[str, bytes], *, from_text: bool
    ) -> tuple[dict[str, Any], list[str]]:
        """(typed parameters, problems). from_text: the values came as form text (JSON inside for objects)."""
        problems: list[str] = []
        fields = {f["name"]: f for f in self.methods[method]["fields"]}
        attached = {v[len("attach://"):] for v in _strings(raw) if v.startswith("attach://")}
        out: dict[str, Any] = {}
        for name, value in raw.items():
            spec_field = fields.get(name)
            if spec_field is None:
                if name in files and name in attached:
                    continue  # a file part referenced as attach://name
                problems.append(f"{method}: unknown parameter {name!r}")
                continue
            try:
                out[name] = self._value(value, spec_field["types"], f"{method}.{name}", files, from_text)
                self._limit(method, name, out[name])
            except Invalid as exc:
                problems.append(str(exc))
        for name, spec_field in fields.items():
            if name in raw:
                continue
            if name in files and "InputFile" in spec_field["types"]:
                out[name] = {"file": name, "size": len(files[name]), "content": files[name]}
                continue
            if spec_field["required"]:
                problems.append(f"{method}: missing required parameter {name!r}")
        for name in set(files) - set(fields) - attached:
            problems.append(f"{method}: unknown file part {name!r}")
        return out, problems

    def _value(self, value: Any, types: list[str], where: str, files: dict[str, bytes], from_text: bool) -> Any:
        errors = []
        for t in types:
            try:
                return self._as(value, t, where, files, from_text)
            except Invalid as exc:
                errors.append(str(exc))
        if len(errors) == 1:
            raise Invalid(errors[0])
        raise Invalid(f"{where}: {value!r} is none of {' | '.join(types)} ({'; '.join(errors)})")

    def _as(self, value: Any, t: str, where: str, files: dict[str, bytes], from_text: bool) -> Any:
        if t.startswith("Array of "):
            inner = t[len("Array of "):]
            if from_text and isinstance(value, str):
                value = _json_text(value, where)
            if not isinstance(value, list):
                raise Invalid(f"{where}: expected {t}, got {type(value).__name__}")
            # Inside decoded JSON the values are typed: no more text conversion.
            return [self._as(v, inner, f"{where}[{i}]", files, False) for i, v in enumerate(value)]
        if t == "Integer":
            if isinstance(value, bool):
                raise Invalid(f"{where}: expected Integer, got a boolean")
            if isinstance(value, int):
                return value
            if from_text and isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                return int(value)
            raise Invalid(f"{where}: expected Integer, got {value!r}")
        if t == "Float":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if from_text and isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
            raise Invalid(f"{where}: expected Float, got {value!r}")
        if t == "Boolean":
            if isinstance(value, bool):
                return value
            if from_text and isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise Invalid(f"{where}: expected Boolean, got {value!r}")
        if t == "String":
            if isinstance(value, str):
                return value
            raise Invalid(f"{where}: expected String, got {type(value).__name__}")
        if t == "InputFile":
            if isinstance(value, str) and value.startswith("attach://"):
                part = value[len("attach://"):]
                if part not in files:
                    raise Invalid(f"{where}: {value} names no file part")
                return {"file": part, "size": len(files[part]), "content": files[part]}
            raise Invalid(f"{where}: expected an uploaded file")
        spec_type = self.types.get(t)
        if spec_type is None:
            raise Invalid(f"{where}: the spec has no type {t}")
        if from_text and isinstance(value, str):
            value = _json_text(value, where)
        if "subtypes" in spec_type:
            return self._value(value, spec_type["subtypes"], where, files, False)
        if not isinstance(value, dict):
            raise Invalid(f"{where}: expected {t} (an object), got {type(value).__name__}")
        fields = {f["name"]: f for f in spec_type["fields"]}
        problems = [f"unknown field {k!r}" for k in value if k not in fields]
        problems += [f"missing required field {k!r}" for k, f in fields.items() if f["required"] and k not in value]
        if problems:
            raise Invalid(f"{where}: not a {t}: {', '.join(problems)}")
        out = {}
        for k, v in value.items():
            out[k] = self._value(v, fields[k]["types"], f"{where}.{k}", files, False)
            self._limit(t, k, out[k], where=f"{where}.{k}")
        return out

    @staticmethod
    def _limit(owner: str, name: str, value: Any, *, where: str | None = None) -> None:
        bounds = VALUE_LIMITS.get((owner, name))
        if bounds is None or not isinstance(value, str):
            return
        low, high, unit = bounds
        # Telegram's "characters" are UTF-16 code units: an emoji counts two.
        size = len(value.encode("utf-8")) if unit == "bytes" else len(value.encode("utf-16-le")) // 2
        if not low <= size <= high:
            raise Invalid(f"{where or owner + '.' + name}: {size} {unit}, must be {low}-{high}")


def _json_text(value: str, where: str) -> Any:
    try:
        return json.loads(value)
    except ValueError as exc:
        raise Invalid(f"{where}: not JSON: {value[:60]!r}") from exc


def _strings(raw: dict[str, Any]) -> list[str]:
    return [v for v in raw.values() if isinstance(v, str)]


@dataclass
class Request:
    """One request the fake received."""

    method: str  # as the client spelled it
    params: dict[str, Any]  # typed, after checking (the raw value where a parameter did not check)
    at: dt.datetime
    status: int = 200
    problems: list[str] = field(default_factory=list)
    content_type: str = ""  # of the body, "" when the parameters came in the query string only
    test_environment: bool = False  # asked at /bot<token>/test/<method>: Telegram's test environment

    @property
    def chat_id(self) -> int | str | None:
        return target_chat(self.params)


def target_chat(params: dict[str, Any]) -> Any:
    """The chat a request is about: its chat_id, or the chat of a command-menu scope (setMyCommands …)."""
    scope = params.get("scope")
    return params.get("chat_id", scope.get("chat_id") if isinstance(scope, dict) else None)


@dataclass
class Gate:
    count: int
    timeout: float
    arrived: int = 0
    open: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Fault:
    kind: str  # "429", "403", "400", "500", "drop"
    method: str | None
    chat_id: int | str | None
    times: int
    retry_after: int = 0
    description: str = ""

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)



async def wait_until(check: Callable[[], T], timeout: float = 5.0, *, what: str = "") -> T:
    """Wait until check() is truthy and return its value, looking every 10 ms; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        await asyncio.sleep(0.01)

async def wait_until_async(check: Callable[[], Awaitable[T]], timeout: float = 5.0, *, what: str = "") -> T:
    """wait_until for a check that must await (a database read)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        await asyncio.sleep(0.01)


class FakeBotAPI:
    """`await api.start()`, then point a Bot at `api.base_url`; `await api.close()` at the end."""

    def __init__(
        self,
        token: str = "123456789:TEST-token_for_the_fake",
        *,
        clock: Callable[[], dt.datetime] = system_clock,
        bot_username: str = "paotui_test_bot",
        spec: dict[str, Any] | None = None,
        invoice_min_amount: int = 700,
        invoice_max_amount: int = 7_100_000,
    ) -> None:
        """invoice_min_amount, invoice_max_amount: the invoice totals sendInvoice accepts, in the currency's smallest
        unit; the defaults are about Telegram's bounds for CNY (currencies.json: ~US$1 and ~US$10,000), whatever
        the currency."""
        self.token = token
        self.invoice_amounts = (invoice_min_amount, invoice_max_amount)
        self.clock = clock
        self.spec = Spec(spec or load_spec())
        self.bot_user = {
            "id": int(token.split(":", 1)[0]), "is_bot": True, "first_name": "Paotui", "username": bot_username,
        }
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat id, message id) → latest state
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}  # a group upgraded to a supergroup: its old id → the supergroup's
        self.faults: list[Fault] = []
        self.gates: dict[str, Gate] = {}  # method (lower case) → requests held until enough have arrived
        self.commands: dict[str, list[dict[str, Any]]] = {}  # scope+language → commands
        self.callback_answers: list[dict[str, Any]] = []
        self.pre_checkout_answers: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.updates: list[dict[str, Any]] = []  # pushed and not yet confirmed
        self.served: list[list[int]] = []  # the update ids of each non-empty getUpdates answer, in order
        self._update_ids = itertools.count(100001)
        self._message_ids: dict[int, itertools.count] = {}
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- server -------------------------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/bot{token}/test/{method}", self._handle)  # Telegram's test environment
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def close(self) -> None:
        self._new_update.set()  # wake long polls
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def take_violations(self) -> list[str]:
        """The violations so far, cleared (for tests that expect some)."""
        found, self.violations = self.violations, []
        return found

    async def _read(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes], bool, list[str]]:
        """(parameters, file parts, values are text, problems) from the query string and the body."""
        problems: list[str] = []
        raw: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for key, value in request.query.items():
            raw[key] = value
        content_type = request.content_type
        if request.method == "POST" and request.can_read_body:
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    problems.append("the JSON body does not parse")
                    body = {}
                if not isinstance(body, dict):
                    problems.append("the JSON body is not an object")
                    body = {}
                raw.update(body)
                return raw, files, False, problems  # typed JSON values (the query string is text, rarely mixed)
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key in form:
                    if len(form.getall(key)) > 1:
                        problems.append(f"parameter {key!r} is given more than once")
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = value.file.read()
                    else:
                        raw[key] = value
            elif content_type:
                problems.append(f"unsupported Content-Type {content_type}")
        return raw, files, True, problems

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        asked = request.match_info["method"]
        raw, files, from_text, problems = await self._read(request)
        method = self.spec.method(asked)
        params: dict[str, Any] = raw
        if method is None:
            problems.append(f"{asked}: no such method in {self.spec.version}")
        else:
            params, found = self.spec.check_params(method, raw, files, from_text=from_text)
            problems += found
        record = Request(asked, params, self.clock(), problems=problems,
                         content_type=request.content_type if request.body_exists else "",
                         test_environment=request.path.endswith(f"/test/{asked}"))
        self.requests.append(record)
        if problems:
            self.violations += problems
            record.status = 404 if method is None else 400
            return _error(record.status, "Not Found" if method is None else f"Bad Request: {problems[0]}")
        assert method is not None
        await self._pass_gate(method)
        fault = self._take_fault(method, target_chat(params))
        if fault is not None:
            record.status = 0 if fault.kind == "drop" else int(fault.kind)
            return await self._fail(request, fault)
        moved = self._moved_to(target_chat(params))
        if moved is not None and method not in EDITS:
            record.status = 400
            return _error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                          {"migrate_to_chat_id": moved})
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self.blocked and method != "getChat":
            record.status = 403
            return _error(403, "Forbidden: bot was blocked by the user")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            returns = self.spec.methods[method].get("returns", [])
            if returns == ["Boolean"]:
                return _ok(True)
            problem = f"{method}: a real method the fake does not model yet (add _m_{method})"
            self.violations.append(problem)
            record.problems.append(problem)
            record.status = 501
            return _error(501, problem)
        try:
            result = handler(params, files)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            record.status = exc.status
            return _error(exc.status, exc.description, exc.parameters)
        if request.match_info["token"] != self.token:  # revoked while a long poll waited
            record.status = 401
            return _error(401, "Unauthorized")
        return _ok(result)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        return web.Response(body=b"\xff\xd8fake-jpeg", content_type="image/jpeg")

    def _moved_to(self, chat_id: Any) -> int | None:
        """The supergroup an upgraded group's id now answers with (None: the chat was not upgraded)."""
        if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
            chat_id = int(chat_id)
        return self.migrated.get(chat_id) if isinstance(chat_id, int) else None

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _fail(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "drop":
            # Close the connection without an answer: the client sees ServerDisconnectedError.
            transport = request.transport
            if transport is not None:
                transport.close()
            raise asyncio.CancelledError()
        if fault.kind == "429":
            return _error(429, fault.description or f"Too Many Requests: retry after {fault.retry_after}",
                          {"retry_after": fault.retry_after})
        return _error(int(fault.kind), fault.description)

    async def _pass_gate(self, method: str) -> None:
        gate = self.gates.get(method.lower())
        if gate is None:
            return
        gate.arrived += 1
        if gate.arrived >= gate.count:
            del self.gates[method.lower()]
            gate.open.set()
            return
        try:
            await asyncio.wait_for(gate.open.wait(), gate.timeout)
        except TimeoutError:  # fewer came than expected: answer anyway (the test's own checks will tell)
            self.gates.pop(method.lower(), None)
            gate.open.set()

    # -- scripted faults ----------------------------------------------------------------------------------------

    def hold_until(self, method: str, count: int, *, timeout: float = 5.0) -> None:
        """Hold the next requests of `method` unanswered until `count` of them have arrived, then answer them all
        at once: the bot's concurrent handlers are lined up at that call, so what follows it happens "at the same
        moment" for each. After `timeout` seconds the held ones are answered anyway."""
        self.gates[method.lower()] = Gate(count, timeout)


    def rate_limit(self, retry_after: int, *, method: str | None = None, chat_id: int | None = None,
                   times: int = 1) -> None:
        """Answer the next `times` matching calls with 429 and retry_after."""
        self.faults.append(Fault("429", method, chat_id, times, retry_after=retry_after))

    def upgrade_group(self, chat_id: int, supergroup_id: int, by: dict[str, Any], *,
                      push: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
        """The group became a supergroup (Telegram does that when a group gets public, or big, …): the supergroup
        is a new chat with a new id, and the old group is gone — every request for its id answers 400 "group chat
        was upgraded to a supergroup chat" with parameters.migrate_to_chat_id. The two service messages Telegram
        sends are returned as updates (and pushed): migrate_to_chat_id in the old group, migrate_from_chat_id in the
        supergroup. `by`: the member who upgraded it."""
        old = self._chat(chat_id)
        new = self.group(supergroup_id, old.get("title", "Task hall"))
        assert new["type"] == "supergroup", "a supergroup's id starts with -100"
        self.migrated[chat_id] = supergroup_id
        left = self._update(push, message=self._store(old, by, migrate_to_chat_id=supergroup_id))
        arrived = self._update(push, message=self._store(new, by, migrate_from_chat_id=chat_id))
        return left, arrived

    def revoke_token(self) -> None:
        """The token was revoked in @BotFather: every request with it answers 401 Unauthorized from now on, a long
        poll already waiting too."""
        self.token = f"{self.bot_user['id']}:revoked-{self.token.rsplit(':', 1)[1]}"
        self._new_update.set()

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every call for this chat answers 403."""
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    def drop_connection(self, *, method: str | None = None, chat_id: int | None = None, times: int = 1) -> None:
        """Close the connection on the next `times` matching calls, without an answer."""
        self.faults.append(Fault("drop", method, chat_id, times))

    def server_error(self, *, method: str | None = None, chat_id: int | None = None, times: int = 1,
                     status: int = 502, description: str = "Bad Gateway") -> None:
        self.faults.append(Fault(str(status), method, chat_id, times, description=description))

    def fail(self, status: int, description: str, *, method: str | None = None, chat_id: int | None = None,
             times: int = 1) -> None:
        """Any error answer, e.g. fail(400, "Bad Request: chat not found", chat_id=5)."""
        self.faults.append(Fault(str(status), method, chat_id, times, description=description))

    # -- what happened ------------------------------------------------------------------------------------------

    async def wait_for(self, check: Callable[[], T], timeout: float = 5.0, *, what: str = "") -> T:
        """Wait until check() is truthy and return its value: the bot works concurrently with the test, so a test
        waits for a condition on what the fake received, never for a fixed time. Looks every 10 ms; fails after
        `timeout` seconds, saying what it waited for."""
        return await wait_until(check, timeout, what=what)


    def calls(self, method: str | None = None, chat_id: int | None = None, *, ok: bool | None = None) -> list[Request]:
        """Requests received, optionally of one method, to one chat, answered ok (200) or not."""
        found = []
        for r in self.requests:
            if method is not None and r.method.lower() != method.lower():
                continue
            if chat_id is not None and str(r.chat_id) != str(chat_id):
                continue
            if ok is not None and (r.status == 200) != ok:
                continue
            found.append(r)
        return found

    def chat_menu(self, chat_id: int, language_code: str = "") -> list[dict[str, Any]] | None:
        """The command menu set for one chat (BotCommandScopeChat), or None when it has none of its own."""
        return self.commands.get(self._commands_key({"scope": {"type": "chat", "chat_id": chat_id},
                                                     "language_code": language_code}))

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's and users' messages in a chat, in their current (edited) state, oldest first."""
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.chat_messages(chat_id) if m.get("from", {}).get("id") == self.bot_user["id"]]

    def last_bot_message(self, chat_id: int) -> dict[str, Any]:
        messages = self.bot_messages(chat_id)
        assert messages, f"the bot sent nothing to chat {chat_id}"
        return messages[-1]

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[list[tuple[str, str | None]]]:
        """A message's inline keyboard as rows of (label, callback data)."""
        markup = message.get("reply_markup") or {}
        return [[(b["text"], b.get("callback_data")) for b in row] for row in markup.get("inline_keyboard", [])]

    # -- chats and users ----------------------------------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Test", *, username: str | None = None,
             language_code: str | None = "zh-hans", last_name: str | None = None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        self.private_chat(user)
        return user

    def private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if user.get("username"):
            chat["username"] = user["username"]
        self.chats.setdefault(user["id"], chat)
        return self.chats[user["id"]]

    def group(self, chat_id: int, title: str = "Task hall") -> dict[str, Any]:
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        self.chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
        return self.chats[chat_id]

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str) and not re.fullmatch(r"-?\d+", chat_id):
            raise ApiError(400, "Bad Request: chat not found")  # @username chats are not modelled
        chat_id = int(chat_id)
        if chat_id not in self.chats:
            if chat_id > 0:
                self.user(chat_id, f"User {chat_id}")
            else:
                self.group(chat_id, f"Group {chat_id}")
        return self.chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def _store(self, chat: dict[str, Any], sender: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = {"message_id": self._next_message_id(chat["id"]), "date": self._now(), "chat": chat,
                   "from": sender, **{k: v for k, v in content.items() if v is not None}}
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _bot_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        markup = params.get("reply_markup")
        if markup is not None and "inline_keyboard" not in markup:
            markup = None  # reply keyboards are not part of the Message object
        return self._store(chat, self.bot_user, reply_markup=markup, **content)

    # -- methods ------------------------------------------------------------------------------------------------

    def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._bot_message(params, text=params["text"])

    def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        photo = params["photo"]
        size = photo["size"] if isinstance(photo, dict) else 1000
        file_id = photo if isinstance(photo, str) else f"photo-{next(self._file_ids)}"
        return self._bot_message(params, photo=[_photo_size(file_id, 320, 240, size)], caption=params.get("caption"))

    def _m_sendLocation(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        if params.get("live_period"):
            location["live_period"] = params["live_period"]
        return self._bot_message(params, location=location)

    def _m_sendInvoice(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        total = sum(p["amount"] for p in params["prices"])
        low, high = self.invoice_amounts
        if not low <= total <= high:
            raise ApiError(400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID")  # Telegram's answer, either way
        invoice = {"title": params["title"], "description": params["description"],
                   "start_parameter": params.get("start_parameter", ""), "currency": params["currency"],
                   "total_amount": total}
        return self._bot_message(params, invoice=invoice)

    def _m_sendChatAction(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._chat(params["chat_id"])
        return True

    def _target(self, params: dict[str, Any], verb: str = "edit") -> dict[str, Any] | None:
        """The message an edit names; None for inline messages (not modelled: the edit just succeeds)."""
        if params.get("inline_message_id"):
            return None
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self.messages.get((int(params["chat_id"]), params["message_id"]))
        if message is None or message.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        return message

    def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any] | bool:
        if not params.get("text"):
            raise ApiError(400, "Bad Request: text must be non-empty")
        message = self._target(params)
        if message is None:
            return True
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = params.get("reply_markup")  # no reply_markup: the inline keyboard goes
        if message["text"] == params["text"] and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = params["text"]
        _set_markup(message, markup)
        message["edit_date"] = self._now()
        return message

    def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any] | bool:
        message = self._target(params)
        if message is None:
            return True
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        _set_markup(message, markup)
        message["edit_date"] = self._now()
        return message

    def _m_editMessageCaption(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any] | bool:
        message = self._target(params)
        if message is None:
            return True
        message["caption"] = params.get("caption", "")
        _set_markup(message, params.get("reply_markup"))
        message["edit_date"] = self._now()
        return message

    def _m_editMessageLiveLocation(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any] | bool:
        message = self._target(params)
        if message is None:
            return True
        if "location" not in message:
            raise ApiError(400, "Bad Request: message can't be edited")
        message["location"] = {**message["location"], "latitude": params["latitude"],
                               "longitude": params["longitude"]}
        message["edit_date"] = self._now()
        return message

    def _m_deleteMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        key = (int(params["chat_id"]), params["message_id"])
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        del self.messages[key]
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        # Outside games, Telegram opens only links to the bot itself (t.me/<bot>?start=...).
        url = params.get("url")
        if url is not None and not url.startswith(f"https://t.me/{self.bot_user['username']}?start="):
            raise ApiError(400, "Bad Request: URL_INVALID")
        self.callback_answers.append(params)
        return True

    def _m_answerPreCheckoutQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        if not params["ok"] and not params.get("error_message"):
            raise ApiError(400, "Bad Request: ERROR_MESSAGE_EMPTY")
        self.pre_checkout_answers.append(params)
        return True

    def _commands_key(self, params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code", "")], sort_keys=True)

    def _m_setMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.commands[self._commands_key(params)] = params["commands"]
        return True

    def _m_getMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    def _m_deleteMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.webhook = dict(params)
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}

    def _m_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {"file_id": params["file_id"], "file_unique_id": f"u-{params['file_id']}", "file_size": 1000,
                "file_path": f"photos/{params['file_id']}.jpg"}

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = params.get("offset")
        if offset is not None and offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # earlier ones are confirmed
        timeout = params.get("timeout", 0)
        if not self.updates and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)  # long polling: answer when one comes
            except TimeoutError:
                pass
        limit = params.get("limit") or 100
        allowed = params.get("allowed_updates")
        found = [u for u in self.updates if not allowed or set(u) - {"update_id"} <= set(allowed)]
        if offset is not None and offset < 0:
            found = found[offset:]
        found = found[:limit]
        if found:
            self.served.append([u["update_id"] for u in found])
        return found

    # -- updates ------------------------------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (and wake a waiting long poll)."""
        self.updates.append(update)
        self._new_update.set()
        return update

    async def deliver_webhook(self, update: dict[str, Any]) -> int:
        """POST an update to the webhook the bot set, with its secret token; the HTTP status it answered."""
        import aiohttp

        url = self.webhook.get("url")
        assert url, "the bot set no webhook"
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with aiohttp.ClientSession() as session, session.post(url, json=update, headers=headers) as resp:
            await resp.read()
            return resp.status

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """The same content again under a new update id (Telegram resending what it is unsure we received)."""
        return self._update(True, **{k: v for k, v in update.items() if k != "update_id"})

    def _update(self, push: bool, **content: Any) -> dict[str, Any]:
        # A snapshot: later edits of the stored message (live location) must not change an update already queued.
        update = {"update_id": next(self._update_ids), **copy.deepcopy(content)}
        return self.push(update) if push else update

    def _user_message(self, user: dict[str, Any], chat: dict[str, Any] | int | None, **content: Any) -> dict:
        if chat is None:
            chat = self.private_chat(user)
        elif isinstance(chat, int):
            chat = self._chat(chat)
        return self._store(chat, user, **content)

    def text(self, user: dict[str, Any], text: str, *, chat: dict[str, Any] | int | None = None,
             reply_to: dict[str, Any] | None = None, push: bool = True) -> dict[str, Any]:
        """A text message from a user (a private chat unless chat is given), a reply to `reply_to` if given; a
        leading /command is marked."""
        entities = None
        match = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if match:
            entities = [{"type": "bot_command", "offset": 0, "length": match.end()}]
        extra = {"reply_to_message": copy.deepcopy(reply_to)} if reply_to is not None else {}
        return self._update(push, message=self._user_message(user, chat, text=text, entities=entities, **extra))

    def command(self, user: dict[str, Any], command: str, args: str = "", *,
                chat: dict[str, Any] | int | None = None, push: bool = True) -> dict[str, Any]:
        """/command [args]; in a group the command is addressed to the bot (/grab@paotui_test_bot)."""
        name = command.lstrip("/")
        in_group = chat is not None and self._chat(chat if isinstance(chat, int) else chat["id"])["type"] != "private"
        if in_group:
            name += f"@{self.bot_user['username']}"
        return self.text(user, f"/{name}" + (f" {args}" if args else ""), chat=chat, push=push)

    def callback(self, user: dict[str, Any], data: str, message: dict[str, Any] | tuple[int, int], *,
                 push: bool = True) -> dict[str, Any]:
        """The user pressed a button with this callback data under `message` (a message or (chat, message id))."""
        if isinstance(message, tuple):
            message = self.messages[message]
        query = {"id": str(next(self._callback_ids)), "from": user, "message": message,
                 "chat_instance": f"ci{message['chat']['id']}", "data": data}
        return self._update(push, callback_query=query)

    def press(self, user: dict[str, Any], message: dict[str, Any], label_or_index: str | int = 0, *,
              push: bool = True) -> dict[str, Any]:
        """Press one of a message's inline buttons, by label or by position (row-major)."""
        flat = [b for row in self.buttons(message) for b in row]
        if isinstance(label_or_index, int):
            label, data = flat[label_or_index]
        else:
            matches = [b for b in flat if b[0] == label_or_index]
            assert matches, f"no button {label_or_index!r}; buttons: {[b[0] for b in flat]}"
            label, data = matches[0]
        assert data is not None, f"button {label!r} has no callback data"
        return self.callback(user, data, message, push=push)

    def location(self, user: dict[str, Any], latitude: float, longitude: float, *, live_period: int | None = None,
                 chat: dict[str, Any] | int | None = None, forwarded_from: dict[str, Any] | None = None,
                 push: bool = True) -> dict[str, Any]:
        """A location the user sends; `forwarded_from` (a user): forwarded from that user's chat."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if live_period:
            location["live_period"] = live_period
        extra = {"forward_origin": {"type": "user", "date": self._now() - 60, "sender_user": forwarded_from}
                 } if forwarded_from is not None else {}
        return self._update(push, message=self._user_message(user, chat, location=location, **extra))

    def contact(self, user: dict[str, Any], phone_number: str, *, owner: dict[str, Any] | None = None,
                chat: dict[str, Any] | int | None = None, push: bool = True) -> dict[str, Any]:
        """A contact card the user sends: their own, as the "Share my phone number" button (request_contact) sends
        it, or `owner`'s, a user's from their address book."""
        card = owner or user
        contact = {"phone_number": phone_number, "first_name": card["first_name"], "user_id": card["id"]}
        return self._update(push, message=self._user_message(user, chat, contact=contact))

    def live_location(self, user: dict[str, Any], message: dict[str, Any], latitude: float, longitude: float, *,
                      heading: int | None = None, push: bool = True) -> dict[str, Any]:
        """The user's live location moved: an edited_message of the location message they shared."""
        stored = self.messages[(message["chat"]["id"], message["message_id"])]
        location = {**stored["location"], "latitude": latitude, "longitude": longitude}
        if heading is not None:
            location["heading"] = heading
        stored.update(location=location, edit_date=self._now())
        return self._update(push, edited_message=stored)

    def edit_text(self, message: dict[str, Any], text: str, *, push: bool = True) -> dict[str, Any]:
        """The user edited a text message they sent (`message`, as its update carried it): an edited_message."""
        stored = self.messages[(message["chat"]["id"], message["message_id"])]
        stored.update(text=text, edit_date=self._now())
        return self._update(push, edited_message=stored)

    def stop_live_location(self, user: dict[str, Any], message: dict[str, Any], *,
                           push: bool = True) -> dict[str, Any]:
        """The user stopped sharing their live location: an edited_message whose location has no live_period any
        more (the Location object carries it "for active live locations only")."""
        stored = self.messages[(message["chat"]["id"], message["message_id"])]
        location = {k: v for k, v in stored["location"].items() if k not in ("live_period", "heading")}
        stored.update(location=location, edit_date=self._now())
        return self._update(push, edited_message=stored)

    def photo(self, user: dict[str, Any], *, caption: str | None = None, chat: dict[str, Any] | int | None = None,
              push: bool = True) -> dict[str, Any]:
        n = next(self._file_ids)
        sizes = [_photo_size(f"AgAC-{n}-s", 90, 67, 1200), _photo_size(f"AgAC-{n}-m", 800, 600, 48000)]
        return self._update(push, message=self._user_message(user, chat, photo=sizes, caption=caption))

    def media(self, user: dict[str, Any], kind: str, *, chat: dict[str, Any] | int | None = None,
              push: bool = True) -> dict[str, Any]:
        """A message no flow reads: kind is sticker, voice or document."""
        unique = f"u-{next(self._file_ids)}"
        content = {
            "sticker": {"file_id": f"CAAC-{unique}", "file_unique_id": unique, "type": "regular", "width": 512,
                        "height": 512, "is_animated": False, "is_video": False},
            "voice": {"file_id": f"AwAC-{unique}", "file_unique_id": unique, "duration": 3},
            "document": {"file_id": f"BQAC-{unique}", "file_unique_id": unique, "file_name": "receipt.pdf"},
        }[kind]
        return self._update(push, message=self._user_message(user, chat, **{kind: content}))

    def pre_checkout_query(self, user: dict[str, Any], payload: str, total_amount: int, *, currency: str = "CNY",
                           push: bool = True) -> dict[str, Any]:
        query = {"id": f"pcq{next(self._callback_ids)}", "from": user, "currency": currency,
                 "total_amount": total_amount, "invoice_payload": payload}
        return self._update(push, pre_checkout_query=query)

    def successful_payment(self, user: dict[str, Any], payload: str, total_amount: int, *, currency: str = "CNY",
                           charge_id: str | None = None, push: bool = True) -> dict[str, Any]:
        n = next(self._callback_ids)
        payment = {"currency": currency, "total_amount": total_amount, "invoice_payload": payload,
                   "telegram_payment_charge_id": charge_id or f"tg-charge-{n}",
                   "provider_payment_charge_id": f"provider-charge-{n}"}
        return self._update(push, message=self._user_message(user, None, successful_payment=payment))


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
    if markup and markup.get("inline_keyboard"):
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def _photo_size(file_id: str, width: int, height: int, size: int) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": width, "height": height,
            "file_size": size}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
