"""The loopback server's Responses API: ``POST /v1/responses`` and ``GET /v1/responses/{response_id}``.

Installed on every :class:`~tests.support.openai_server.OpenAIServer` (``server.responses`` is the
:class:`ResponsesStore`). Requests are validated against the contract like every route (``CreateResponse``);
answers are shaped like the real service's and checked against the contract's schemas too:

* a JSON :class:`Response` (``stream`` absent or false) — validated by the server as the operation's answer;
* with ``stream: true``, ``text/event-stream`` server-sent events — ``response.created``,
  ``response.in_progress``, ``response.output_item.added``, ``response.image_generation_call.in_progress``,
  ``….generating``, one ``….partial_image`` per ``partial_images`` of the tool, ``….completed``,
  ``response.output_item.done`` (the ``image_generation_call`` with its base64 ``result``) and
  ``response.completed`` with ``usage`` (the text model) and ``tool_usage.image_gen`` (the image tool); each
  event is validated here against its own schema (``ResponseCreatedEvent``, …) and problems are kept in the
  request record's ``response_errors`` (the pytest fixture fails the test on them).

Only turns with an ``image_generation`` tool are served (others get a 400 that is not counted as a contract
violation: it is this fake's limit). Every created response is stored (:attr:`ResponsesStore.responses`);
``previous_response_id`` must name a stored one (else 400 ``previous_response_not_found``, like the real
service) and ``conversation`` one made with :meth:`ResponsesStore.create_conversation`. The image depends on the
request deterministically (instructions, message, input images, the previous response's image), unless the
server's ``image_factory`` paints it; partial images are the final one faded in (``responses_turns.py`` makes
a turn's image, partial images, usage and ``Response`` object).

Faults come from :meth:`OpenAIServer.inject` with ``path="/responses"``: the HTTP ones (``rate_limit`` with its
headers, ``server_error``, ``moderation_blocked`` at create, ``reset`` …) as for any route, and two stream
faults: ``stream_error`` (after ``after_partials`` partial images, default 1, an ``error`` event with ``code``,
default ``moderation_blocked``; with ``event="response.failed"`` a failed ``image_generation_call`` item and
a ``response.failed`` event instead) and ``stream_drop`` (the connection closes after ``after_events`` events,
default: right after the first partial image, before ``response.completed``).
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import uuid
from typing import TYPE_CHECKING, Any

from tests.support.openai_server import Exchange, Reply, error_reply
from tests.support.responses_turns import StoredResponse, Turn, image_tool, plan_turn, size_of

if TYPE_CHECKING:
    from tests.support.openai_server import OpenAIServer

__all__ = ["EVENT_SCHEMAS", "ResponsesStore", "install"]

EVENT_SCHEMAS = {
    "response.created": "ResponseCreatedEvent",
    "response.in_progress": "ResponseInProgressEvent",
    "response.output_item.added": "ResponseOutputItemAddedEvent",
    "response.image_generation_call.in_progress": "ResponseImageGenCallInProgressEvent",
    "response.image_generation_call.generating": "ResponseImageGenCallGeneratingEvent",
    "response.image_generation_call.partial_image": "ResponseImageGenCallPartialImageEvent",
    "response.image_generation_call.completed": "ResponseImageGenCallCompletedEvent",
    "response.output_item.done": "ResponseOutputItemDoneEvent",
    "response.completed": "ResponseCompletedEvent",
    "response.failed": "ResponseFailedEvent",
    "error": "ResponseErrorEvent",
}
"""The contract schema each event this server sends is validated against."""


class _Declared(bytes):
    """A body that declares (``len``, hence ``Content-Length``) more bytes than it holds: sent with
    ``Connection: close``, the client sees the connection drop in the middle of the body."""

    declared: int

    def __new__(cls, data: bytes, declared: int) -> _Declared:
        self = super().__new__(cls, data)
        self.declared = declared
        return self

    def __len__(self) -> int:
        return self.declared


class ResponsesStore:
    """The server's stored responses and conversations (thread-safe)."""

    def __init__(self) -> None:
        self.responses: dict[str, StoredResponse] = {}
        self.conversations: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def create_conversation(self) -> str:
        """A new empty conversation's id (what ``POST /v1/conversations`` would return)."""
        conversation_id = f"conv_{uuid.uuid4().hex[:24]}"
        with self._lock:
            self.conversations[conversation_id] = []
        return conversation_id

    def get(self, response_id: str) -> StoredResponse | None:
        """The stored response with ``response_id``."""
        with self._lock:
            return self.responses.get(response_id)

    def chain(self, response_id: str) -> list[str]:
        """The ids of the responses ``response_id`` continues, oldest first, ending with it."""
        stored = self.get(response_id)
        return [] if stored is None else list(stored.chain)

    def last_in(self, conversation_id: str) -> StoredResponse | None:
        """The latest stored response of a conversation (``None`` when it has none)."""
        with self._lock:
            ids = list(self.conversations.get(conversation_id, []))
            return self.responses.get(ids[-1]) if ids else None

    def _put(self, stored: StoredResponse, conversation: str | None) -> None:
        with self._lock:
            self.responses[stored.body["id"]] = stored
            if conversation is not None:
                self.conversations[conversation].append(stored.body["id"])


def install(server: OpenAIServer) -> ResponsesStore:
    """Serve ``/v1/responses`` on ``server``; returns the store of its responses."""
    store = ResponsesStore()
    server.add_route("POST", "/responses", functools.partial(_create, store), image_work=True)
    server.add_route("GET", "/responses/{response_id}", functools.partial(_retrieve, store))
    return store


def _check_links(store: ResponsesStore, body: dict[str, Any]) -> Reply | None:
    previous = body.get("previous_response_id")
    conversation = body.get("conversation")
    if previous and conversation:
        return error_reply(
            400,
            "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or "
            "'conversation'.",
            param="previous_response_id",
            code="mutually_exclusive_parameters",
        )
    if previous and store.get(str(previous)) is None:
        return error_reply(
            400,
            f"Previous response with id '{previous}' not found.",
            param="previous_response_id",
            code="previous_response_not_found",
        )
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
    with store._lock:
        known = str(conversation_id) in store.conversations
    if conversation_id and not known:
        return error_reply(404, f"Conversation with id '{conversation_id}' not found.", param="conversation")
    return None


# -- routes -----------------------------------------------------------------------------------


def _create(store: ResponsesStore, server: OpenAIServer, exchange: Exchange) -> Reply:
    body = exchange.json if isinstance(exchange.json, dict) else {}
    refused = _check_links(store, body)
    if refused is not None:
        return refused
    tool = image_tool(body)
    if tool is None:
        reply = error_reply(400, "the loopback server only serves turns with an image_generation tool")
        reply.validate = False
        return reply
    previous = store.get(str(body["previous_response_id"])) if body.get("previous_response_id") else None
    conversation = body.get("conversation")
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
    if previous is None and conversation_id:
        previous = store.last_in(str(conversation_id))
    turn = plan_turn(server.image_factory, previous, body, tool)
    fault = exchange.fault
    kind = fault.kind if fault is not None else None
    opts = fault.opts if fault is not None else {}
    if not body.get("stream"):
        if kind == "stream_drop":
            return Reply(reset=True)
        if kind == "stream_error":
            item = turn.item("failed", None)
            failed = turn.response("failed", [item])
            failed["error"] = {"code": "image_content_policy_violation", "message": "The image was blocked."}
            return Reply(body=failed)
        completed = turn.response("completed", [turn.item("completed", base64.b64encode(turn.image).decode())])
        _store(store, turn, completed, body)
        _note(exchange, turn, 0)
        return Reply(body=completed)
    events = _events(turn, kind, opts)
    if kind != "stream_drop" and kind != "stream_error":
        _store(store, turn, events[-1]["response"], body)
    return _sse(server, exchange, turn, events, kind, opts)


def _store(store: ResponsesStore, turn: Turn, response: dict[str, Any], body: dict[str, Any]) -> None:
    if body.get("store") is False:
        return
    conversation = body.get("conversation")
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
    chain = [*turn.chain, turn.response_id]
    store._put(StoredResponse(response, turn.image, turn.context_tokens, chain), conversation_id or None)


def _note(exchange: Exchange, turn: Turn, partials: int) -> None:
    if exchange.record is not None:
        width, height = size_of(turn.tool)
        exchange.record.response = {
            "response_id": turn.response_id,
            "images": [{"width": width, "height": height, "format": str(turn.tool.get("output_format") or "png")}],
            "partial_images": partials,
            "usage": turn.usage,
            "tool_usage": turn.tool_usage,
        }


def _events(turn: Turn, kind: str | None, opts: dict[str, Any]) -> list[dict[str, Any]]:
    """The turn's events, in order (without sequence numbers); a ``stream_error`` fault ends them early."""
    width, height = size_of(turn.tool)
    fmt = str(turn.tool.get("output_format") or "png")
    shown = {
        "size": f"{width}x{height}",
        "quality": str(turn.tool.get("quality") or "auto"),
        "background": str(turn.tool.get("background") or "auto"),
        "output_format": fmt,
    }
    ids = {"output_index": 0, "item_id": turn.item_id}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": turn.response("in_progress", [])},
        {"type": "response.in_progress", "response": turn.response("in_progress", [])},
        {"type": "response.output_item.added", "output_index": 0, "item": turn.item("in_progress", None)},
        {"type": "response.image_generation_call.in_progress", **ids},
        {"type": "response.image_generation_call.generating", **ids},
    ]
    for index, partial in enumerate(turn.partials):
        if kind == "stream_error" and index >= int(opts.get("after_partials", 1)):
            break
        events.append(
            {
                "type": "response.image_generation_call.partial_image",
                **ids,
                "partial_image_index": index,
                "partial_image_b64": base64.b64encode(partial).decode("ascii"),
                **shown,
            }
        )
    if kind == "stream_error":
        if opts.get("event") == "response.failed":
            item = turn.item("failed", None)
            item["error"] = {
                "code": "moderation_blocked",
                "message": "The generated image was rejected by the safety system.",
                "type": "image_generation_user_error",
                "moderation_details": {"moderation_stage": "output", "categories": list(opts.get("categories", []))},
            }
            failed = turn.response("failed", [item])
            failed["error"] = {"code": "image_content_policy_violation", "message": "The image was blocked."}
            events.append({"type": "response.output_item.done", "output_index": 0, "item": item})
            events.append({"type": "response.failed", "response": failed})
        else:
            events.append(
                {
                    "type": "error",
                    "code": str(opts.get("code", "moderation_blocked")),
                    "message": "Your request was rejected by the safety system.",
                    "param": None,
                }
            )
        return events
    done = turn.item("completed", base64.b64encode(turn.image).decode("ascii"))
    events += [
        {"type": "response.image_generation_call.completed", **ids},
        {"type": "response.output_item.done", "output_index": 0, "item": done},
        {"type": "response.completed", "response": turn.response("completed", [done])},
    ]
    return events


def _sse(
    server: OpenAIServer, exchange: Exchange, turn: Turn, events: list[dict[str, Any]], kind: str | None, opts: Any
) -> Reply:
    record = exchange.record
    chunks: list[bytes] = []
    for sequence, event in enumerate(events):
        event["sequence_number"] = sequence
        schema = EVENT_SCHEMAS[event["type"]]
        validator = server.contract.validator(f"/components/schemas/{schema}")
        if record is not None:
            record.response_errors.extend(
                f"event {sequence} ({event['type']}) {'/'.join(str(p) for p in error.absolute_path) or '<event>'}: "
                f"{error.message}"
                for error in validator.iter_errors(event)
            )
        chunks.append(f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode())
    sent = sum(1 for event in events if event["type"].endswith("partial_image"))
    if kind == "stream_drop":
        default = next(
            (n + 1 for n, event in enumerate(events) if event["type"].endswith("partial_image")), len(events) - 1
        )
        keep = min(int(opts.get("after_events", default)), len(events) - 1)
        whole = b"".join(chunks)
        sent = sum(1 for event in events[:keep] if event["type"].endswith("partial_image"))
        _note(exchange, turn, sent)
        return Reply(
            raw=_Declared(b"".join(chunks[:keep]), len(whole)),
            content_type="text/event-stream",
            headers={"Connection": "close", "Cache-Control": "no-cache"},
            validate=False,
        )
    _note(exchange, turn, sent)
    return Reply(
        raw=b"".join(chunks), content_type="text/event-stream", headers={"Cache-Control": "no-cache"}, validate=False
    )


def _retrieve(store: ResponsesStore, server: OpenAIServer, exchange: Exchange) -> Reply:
    response_id = exchange.path_params.get("response_id", "")
    stored = store.get(response_id)
    if stored is None:
        return error_reply(404, f"Response with id '{response_id}' not found.", param="response_id")
    return Reply(body=stored.body)
