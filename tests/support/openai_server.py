"""A loopback OpenAI API server for tests and benchmarks (no network, no key, no cost).

It serves, on ``http://127.0.0.1:<free port>/v1``:

* ``POST /v1/images/generations`` (JSON),
* ``POST /v1/images/edits`` (multipart: ``image`` / ``image[]`` / ``mask`` files and text fields),
* ``POST /v1/moderations`` (JSON, one image per request like the real service),
* the **Files** API: ``POST /v1/files`` (multipart ``file``, ``purpose``, optional
  ``expires_after[anchor]``/``expires_after[seconds]``), ``GET /v1/files`` (``purpose``, ``order``,
  ``after``, ``limit``), ``GET /v1/files/{file_id}``, ``GET /v1/files/{file_id}/content`` (the raw
  bytes) and ``DELETE /v1/files/{file_id}``; files live in memory in :attr:`OpenAIServer.files`,
* the **Batch** API for image endpoints: ``POST /v1/batches``, ``GET /v1/batches`` (``after``,
  ``limit``), ``GET /v1/batches/{batch_id}``, ``POST /v1/batches/{batch_id}/cancel``; batches live in
  :attr:`OpenAIServer.batches` (see "Batches" below),
* the **Responses** API (``POST /v1/responses``, streamed or not, ``GET /v1/responses/{id}``): ``responses_routes.py``,

and **validates every request against the official OpenAI API description**
in ``<project>/../shared/contracts/`` (``openai-openapi.json``, the same
content as ``openai-openapi.yaml``): JSON bodies with ``openapi-core``,
multipart bodies with ``jsonschema`` against the operation's own
``requestBody`` schema taken from that description (openapi-core cannot
decode ``image[]`` arrays). It also requires ``Authorization: Bearer <key>``.
Its own responses are validated against the same description (response
schema of the operation, ``ErrorResponse`` for errors) and the outcome is kept.

Each request is recorded (:class:`RequestRecord`: path, parsed fields, file
sizes and hashes – never raw image bytes or the key –, validation errors,
response status). Faults are queued with :meth:`OpenAIServer.inject`; see
:data:`FAULT_KINDS`. ``latency_s`` delays image requests, ``rate_limit_rpm``
enforces a sliding-window request limit with ``retry-after``.

Run it from a shell::

    python -m tests.support.openai_server --port 8765

New endpoints are added with :meth:`OpenAIServer.add_route`.

Batches
-------

A batch advances **only when it is retrieved** (``GET /v1/batches/{id}``; no wall-clock timers):
``validating`` → ``in_progress`` → ``finalizing`` → ``completed``, each stage lasting
:attr:`OpenAIServer.batch_polls_per_stage` retrievals (default 1; 0 = straight to the end on the
first retrieval). The input JSONL is parsed and checked when the batch is created (each line
``{"custom_id", "method": "POST", "url": <the batch endpoint>, "body"}``; unique ``custom_id``; one
model; ``body`` against the contract's JSON request schema of the endpoint – ``CreateImageRequest``
or ``EditImageBodyJsonParam`` – with unknown keys refused like the real API does; every ``file_id``
uploaded). Any problem makes the batch end ``failed`` with ``errors.data[]`` (``code``, ``message``,
``param``, ``line`` 1-based) at its first stage change; such problems are client bugs, so they are
kept in :attr:`OpenAIServer.batch_problems` **and** added to the ``POST /v1/batches`` record's
``validation_errors`` (so :meth:`OpenAIServer.invalid_requests` – and the pytest fixture – report them).
Lines are rendered while ``in_progress`` (``ceil(total / batch_polls_per_stage)`` per retrieval; all of
them on entering ``finalizing`` with the default setting) exactly like the synchronous endpoints
(:meth:`OpenAIServer.image_reply`); each response body is validated against ``ImagesResponse`` (or
``ErrorResponse``) and problems are kept in the retrieving request's ``response_errors``. The output file
(``purpose: batch_output``, in input order – the real service does not promise an order) holds
``{"id": "batch_req_…", "custom_id", "response": {"status_code": 200, "request_id": "req_…", "body":
<ImagesResponse>}, "error": null}`` per success; the error file the same shape with a 4xx/5xx
``status_code`` and an ``{"error": {…}}`` body, plus ``{"id", "custom_id", "response": null, "error":
{"code": "batch_expired", "message"}}`` for lines an expired batch never ran. ``output_file_id`` is set
only when a line succeeded, ``error_file_id`` only when one failed.

Batch faults: :meth:`OpenAIServer.inject_batch` (``"expired"`` after ``after_lines`` lines, ``"failed"``
at validation) and :meth:`OpenAIServer.inject_batch_line` (one line, by ``custom_id`` or 1-based
``line``, fails with a 4xx/5xx body – see :data:`BATCH_LINE_FAULT_KINDS` – or gets ``truncated_b64`` /
``wrong_size`` images). HTTP-level faults (:meth:`OpenAIServer.inject`) work on the Files and Batch
routes too: ``path`` may be a concrete path (``/batches/batch_…``) or a template (``/batches/{batch_id}``).
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import math
import re
import signal
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = PROJECT_ROOT.parent / "shared" / "contracts"
"""``<project>/../shared/contracts``: where the official OpenAI API description lives."""

BASE_PATH = "/v1"

FAULT_KINDS = frozenset(
    {
        "rate_limit",  # 429 rate_limit_exceeded (opts: retry_after_ms, retry_after in seconds)
        "server_error",  # 500
        "overloaded",  # 503 server_is_overloaded
        "slow",  # answer after opts delay_s (default 2 s) – longer than a short client timeout
        "reset",  # close the connection without any response
        "malformed_json",  # 200 with a cut-off JSON body
        "truncated_b64",  # 200 with each b64_json cut in half
        "wrong_size",  # 200 with images of another size (opts: width, height)
        "moderation_blocked",  # 400 moderation_blocked (opts: stage, categories)
        "insufficient_quota",  # 429 insufficient_quota
        "auth",  # 401 invalid_api_key (the message echoes the key, to prove clients redact it)
        "bad_request",  # 400 invalid_request_error (opts: message, param, code)
        "stream_error",  # /responses: an error event mid-stream (see tests/support/responses_routes.py)
        "stream_drop",  # /responses: the connection closes mid-stream (see tests/support/responses_routes.py)
    }
)

MODERATION_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
IMAGE_MODERATION_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)

_OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160, "auto": 1056}
_RESPONSE_SIZES = frozenset({"1024x1024", "1024x1536", "1536x1024"})
_SIZE = re.compile(r"^(\d+)x(\d+)$")


# --------------------------------------------------------------------------------------------
# The contract (official API description)
# --------------------------------------------------------------------------------------------


class _RawRequest:
    """openapi-core request adapter for a raw HTTP request received by this server."""

    def __init__(
        self,
        *,
        host_url: str,
        path: str,
        method: str,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
    ) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = host_url
        self.path = path
        self.method = method.lower()
        self.body = body
        self.content_type = content_type
        self.parameters = RequestParameters(
            path={},
            query=ImmutableMultiDict(list(query.items())),
            header=Headers(list(headers.items())),
            cookie=ImmutableMultiDict(),
        )


class _RawResponse:
    """openapi-core response adapter."""

    def __init__(self, status_code: int, content_type: str, headers: Mapping[str, str], data: bytes) -> None:
        from werkzeug.datastructures import Headers

        self.status_code = status_code
        self.content_type = content_type
        self.headers = Headers(list(headers.items()))
        self.data = data


def _schema_error_messages(exc: BaseException) -> list[str]:
    """Readable messages from an openapi-core error (with the jsonschema errors it wraps)."""
    found: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for error in getattr(current, "schema_errors", ()) or ():
            where = "/".join(str(part) for part in error.absolute_path) or "<body>"
            found.append(f"{where}: {error.message}")
        current = current.__cause__ or current.__context__
    return found or [f"{type(exc).__name__}: {exc}"]


class Contract:
    """The official OpenAI API description, loaded once; validates requests and responses.

    Load it with :meth:`load` (the JSON form from ``CONTRACTS_DIR`` – 30× faster
    to parse than the YAML, same content). Thread-safe.
    """

    def __init__(self, document: dict[str, Any], source: Path) -> None:
        from jsonschema import Draft202012Validator
        from openapi_core import Config, OpenAPI
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        from tests.support.contract_discriminators import explicit_discriminators

        self.document = document = explicit_discriminators(document)  # openapi-core needs explicit mappings
        self.source = source
        self._app = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))
        self._uri = "urn:openai-openapi"
        self._registry: Any = Registry().with_resource(
            self._uri, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        self._validator_cls = Draft202012Validator
        self._validators: dict[str, Any] = {}
        self._lock = threading.Lock()
        server = (document.get("servers") or [{"url": "https://api.openai.com/v1"}])[0]["url"]
        parts = urlsplit(server)
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path.rstrip("/")

    @classmethod
    def load(cls, directory: Path = CONTRACTS_DIR) -> Contract:
        """Read ``openai-openapi.json`` (or the ``.yaml`` when the JSON is missing) from ``directory``."""
        json_path = directory / "openai-openapi.json"
        if json_path.exists():
            return cls(json.loads(json_path.read_text(encoding="utf-8")), json_path)
        import yaml

        yaml_path = directory / "openai-openapi.yaml"
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with yaml_path.open("rb") as handle:
            return cls(yaml.load(handle, Loader=loader), yaml_path)  # a safe loader

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        """The operation object for ``method`` on ``path`` (``/images/edits``, relative to the base)."""
        item = self.document.get("paths", {}).get(path)
        if not isinstance(item, dict):
            return None
        op = item.get(method.lower())
        return op if isinstance(op, dict) else None

    def resolve(self, ref: str) -> Any:
        """The object a local ``#/…`` JSON pointer names."""
        node: Any = self.document
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, pointer: str) -> Any:
        """A cached jsonschema validator for the schema at JSON pointer ``pointer`` of the document."""
        with self._lock:
            validator = self._validators.get(pointer)
            if validator is None:
                validator = self._validator_cls({"$ref": f"{self._uri}#{pointer}"}, registry=self._registry)
                self._validators[pointer] = validator
            return validator

    def schema_types(self, schema: Any, depth: int = 0) -> set[str]:
        """Every JSON type a schema allows (through ``$ref``, ``anyOf``, ``oneOf``, ``allOf``)."""
        if not isinstance(schema, dict) or depth > 6:
            return set()
        if "$ref" in schema:
            return self.schema_types(self.resolve(schema["$ref"]), depth + 1)
        found: set[str] = set()
        kind = schema.get("type")
        if isinstance(kind, str):
            found.add(kind)
        elif isinstance(kind, list):
            found.update(str(item) for item in kind)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []) or []:
                found |= self.schema_types(sub, depth + 1)
        return found

    @staticmethod
    def _pointer(*parts: str) -> str:
        return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)

    def validate_json_request(
        self,
        method: str,
        path: str,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str],
        query: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Errors of a request with a JSON (or no) body according to the contract, via openapi-core.

        ``path`` is the concrete path (``/batches/batch_1``); openapi-core finds its template and
        checks path and query parameters too. Empty when the request conforms.
        """
        request = _RawRequest(
            host_url=self.host_url,
            path=self.base_path + path,
            method=method,
            body=body,
            content_type=content_type,
            headers=headers,
            query=query or {},
        )
        with self._lock:
            errors = list(self._app.iter_request_errors(request))
        messages: list[str] = []
        for error in errors:
            messages.extend(_schema_error_messages(error))
        return messages

    def validate_form_request(self, method: str, path: str, content_type: str, form: Mapping[str, Any]) -> list[str]:
        """Errors of a multipart request (already decoded into ``form``) against the operation's schema."""
        op = self.operation(method, path)
        if op is None:
            return [f"{method} {path} is not an operation of the contract"]
        content = op.get("requestBody", {}).get("content", {})
        media = content_type.split(";")[0].strip().lower()
        if media not in content:
            return [f"{method} {path}: content type {media!r} not accepted (contract: {', '.join(content)})"]
        pointer = self._pointer("paths", path, method.lower(), "requestBody", "content", media, "schema")
        validator = self.validator(pointer)
        return [
            f"{'/'.join(str(part) for part in error.absolute_path) or '<body>'}: {error.message}"
            for error in sorted(validator.iter_errors(dict(form)), key=lambda item: list(item.absolute_path))
        ]

    def form_schema(self, method: str, path: str, media: str = "multipart/form-data") -> dict[str, Any]:
        """The (resolved) request body schema of an operation for ``media``."""
        op = self.operation(method, path) or {}
        return self.resolved(op.get("requestBody", {}).get("content", {}).get(media, {}).get("schema", {}))

    def resolved(self, schema: Any) -> dict[str, Any]:
        """``schema`` with its ``$ref`` chain followed (``{}`` when it is not an object)."""
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.resolve(schema["$ref"])
        return schema if isinstance(schema, dict) else {}

    def request_body_pointer(self, method: str, path: str, media: str = "application/json") -> str | None:
        """JSON pointer of an operation's request body schema for ``media`` (``None`` when there is none)."""
        op = self.operation(method, path) or {}
        if media not in op.get("requestBody", {}).get("content", {}):
            return None
        return self._pointer("paths", path, method.lower(), "requestBody", "content", media, "schema")

    def validate_response(
        self,
        method: str,
        path: str,
        status: int,
        content_type: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        template: str | None = None,
    ) -> list[str]:
        """Errors of one of our responses against the contract (documented status, else ``ErrorResponse``).

        ``path`` is the concrete path; ``template`` the contract path when it has parameters.
        """
        op = self.operation(method, template or path)
        if op is None:
            return [f"{method} {template or path} is not an operation of the contract"]
        documented = op.get("responses", {})
        if str(status) in documented or "default" in documented:
            request = _RawRequest(
                host_url=self.host_url,
                path=self.base_path + path,
                method=method,
                body=b"",
                content_type="application/json",
                headers={},
                query={},
            )
            response = _RawResponse(status, content_type, headers, body)
            with self._lock:
                errors = list(self._app.iter_response_errors(request, response))
            messages: list[str] = []
            for error in errors:
                messages.extend(_schema_error_messages(error))
            return messages
        if status >= 400:
            try:
                payload = json.loads(body)
            except ValueError as exc:
                return [f"error body is not JSON ({exc})"]
            validator = self.validator(self._pointer("components", "schemas", "ErrorResponse"))
            return [
                f"{'/'.join(str(part) for part in error.absolute_path) or '<body>'}: {error.message}"
                for error in validator.iter_errors(payload)
            ]
        return [f"status {status} is not documented for {method} {path}"]


# --------------------------------------------------------------------------------------------
# Records, faults, replies
# --------------------------------------------------------------------------------------------


@dataclass
class UploadedFile:
    """A file part of a multipart request (kept only while the request is handled)."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes = dataclasses.field(repr=False)

    def summary(self) -> dict[str, Any]:
        """Sizes and hashes only – what the request log keeps."""
        return {
            "field": self.field,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


@dataclass
class RequestRecord:
    """One request as the server saw it; raw image bytes and the API key are never kept."""

    seq: int
    method: str
    path: str
    endpoint: str
    content_type: str
    route: str | None = None
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    files: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    authorized: bool = False
    validation_errors: list[str] = dataclasses.field(default_factory=list)
    response_errors: list[str] = dataclasses.field(default_factory=list)
    status: int | None = None
    request_id: str | None = None
    fault: str | None = None
    response: dict[str, Any] = dataclasses.field(default_factory=dict)
    started: float = 0.0
    finished: float | None = None
    client_gone: bool = False
    handler_error: str | None = None

    @property
    def image_files(self) -> list[dict[str, Any]]:
        """The ``image`` / ``image[]`` parts, in the order they were sent."""
        return [item for item in self.files if item["field"] in ("image", "image[]")]

    @property
    def elapsed_s(self) -> float | None:
        """Seconds from receiving the request to finishing the answer."""
        return None if self.finished is None else self.finished - self.started


@dataclass
class _Fault:
    kind: str
    remaining: int
    path: str | None
    opts: dict[str, Any]


@dataclass
class Reply:
    """What a route answers: status, JSON-able body (or raw bytes), extra headers."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    content_type: str = "application/json"
    validate: bool = True
    reset: bool = False

    def payload(self) -> bytes:
        """The encoded body."""
        if self.raw is not None:
            return self.raw
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


@dataclass
class Exchange:
    """One parsed request handed to a route handler.

    ``endpoint`` is the concrete path below ``/v1``; ``template`` the route it matched
    (``/batches/{batch_id}``) and ``path_params`` the values of its ``{…}`` segments.
    """

    method: str
    endpoint: str
    headers: dict[str, str]
    content_type: str
    body: bytes = dataclasses.field(repr=False)
    query: dict[str, str] = dataclasses.field(default_factory=dict)
    template: str = ""
    path_params: dict[str, str] = dataclasses.field(default_factory=dict)
    json: Any = None
    form: dict[str, Any] = dataclasses.field(default_factory=dict)
    files: list[UploadedFile] = dataclasses.field(default_factory=list)
    record: RequestRecord | None = None
    fault: _Fault | None = None
    admitted: float | None = None  # monotonic time the request passed the rate limiter (was counted)


Handler = Callable[["OpenAIServer", Exchange], Reply]


@dataclass(frozen=True)
class Route:
    """A served endpoint: its path template (``{name}`` segments allowed), handler, and whether
    ``latency_s`` applies (image work)."""

    template: str
    handler: Handler
    image_work: bool = False

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """The template as a regular expression with one named group per ``{name}`` segment."""
        parts = re.split(r"\{(\w+)\}", self.template)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
        return re.compile(f"^{regex}$")


def error_reply(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Reply:
    """An OpenAI-style error answer ``{"error": {message, type, param, code, …}}``."""
    error: dict[str, Any] = {"message": message, "type": type_, "param": param, "code": code}
    error.update(extra or {})
    return Reply(status=status, body={"error": error}, headers=dict(headers or {}))


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def render_image(width: int, height: int, output_format: str = "png", transparent: bool = False) -> bytes:
    """Real image bytes of the given size and format (a simple drawing); cached, pure."""
    from PIL import Image, ImageDraw

    mode = "RGBA" if transparent and output_format in ("png", "webp") else "RGB"
    background = (0, 0, 0, 0) if mode == "RGBA" else (238, 242, 247)
    image = Image.new(mode, (width, height), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 8, height // 8, width * 7 // 8, height * 5 // 8), fill=(24, 90, 200, 255)[: len(mode)])
    draw.ellipse((width // 3, height // 2, width * 2 // 3, height * 7 // 8), fill=(250, 180, 30, 255)[: len(mode)])
    buffer = io.BytesIO()
    if output_format == "png":
        image.save(buffer, "PNG", compress_level=1)
    elif output_format == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=80)
    elif output_format == "webp":
        image.save(buffer, "WEBP", quality=80)
    else:
        raise ValueError(f"unsupported output format {output_format!r}")
    return buffer.getvalue()


def _summarise(value: Any) -> Any:
    """Replace data URLs (base64 images) with their size and hash, recursively."""
    if isinstance(value, str) and value.startswith("data:") and len(value) > 64:
        head, _, data = value.partition(",")
        return f"<{head} {len(data)} chars sha256={hashlib.sha256(data.encode()).hexdigest()[:16]}>"
    if isinstance(value, dict):
        return {key: _summarise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_summarise(item) for item in value]
    return value


def parse_multipart(body: bytes, content_type: str) -> list[UploadedFile | tuple[str, str]]:
    """Parts of a ``multipart/form-data`` body: files as :class:`UploadedFile`, fields as (name, text)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    parts: list[UploadedFile | tuple[str, str]] = []
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ValueError("multipart body is not terminated by the closing boundary")
    for chunk in chunks[1:-1]:
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a header/body separator")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name_match = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        if not name_match:
            raise ValueError(f"multipart part without a name: {disposition!r}")
        file_match = re.search(r'filename="([^"]*)"', disposition)
        if file_match is not None or "content-type" in headers:
            parts.append(
                UploadedFile(
                    field=name_match.group(1),
                    filename=file_match.group(1) if file_match else None,
                    content_type=headers.get("content-type"),
                    data=content,
                )
            )
        else:
            parts.append((name_match.group(1), content.decode("utf-8")))
    return parts


# --------------------------------------------------------------------------------------------
# Files and batches (stored in memory on the server)
# --------------------------------------------------------------------------------------------

BATCH_FAULT_KINDS = frozenset({"expired", "failed"})
"""Batch-level faults for :meth:`OpenAIServer.inject_batch`."""

BATCH_LINE_FAULT_KINDS = frozenset(
    {
        "error",  # any status (opts: status=400, code, message, type, param)
        "moderation_blocked",  # 400 moderation_blocked with moderation_details (opts: stage, categories)
        "server_error",  # 500
        "overloaded",  # 503 server_is_overloaded
        "rate_limit",  # 429 rate_limit_exceeded
        "insufficient_quota",  # 429 insufficient_quota
        "bad_request",  # 400 invalid_request_error (opts: message, param, code)
        "truncated_b64",  # 200, each b64_json cut in half
        "wrong_size",  # 200, images of another size (opts: width, height)
    }
)
"""Per-line faults for :meth:`OpenAIServer.inject_batch_line`."""

BATCH_IMAGE_ENDPOINTS: Mapping[str, str] = {
    "/v1/images/generations": "/images/generations",
    "/v1/images/edits": "/images/edits",
}
"""Batch endpoints the server can process → the contract path whose JSON request body a line holds."""

BATCH_TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
BATCH_MAX_LINES = 50_000
_BATCH_LINE_KEYS = ("custom_id", "method", "url", "body")
_DAY_S = 24 * 3600
_FILE_TTL_S = 30 * _DAY_S
_BATCH_EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."


@dataclass
class StoredFile:
    """A file held by the server (uploaded, added with :meth:`OpenAIServer.add_file`, or a batch result)."""

    id: str
    filename: str
    purpose: str
    data: bytes = dataclasses.field(repr=False)
    created_at: int = 0
    expires_at: int | None = None
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        """The ``OpenAIFile`` object."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }
        if self.expires_at is not None:
            body["expires_at"] = self.expires_at
        return body


@dataclass
class BatchProblem:
    """A problem in a batch input file (a client bug): what the batch's ``errors.data[]`` reports."""

    batch_id: str
    line: int | None
    code: str
    message: str
    param: str | None = None
    custom_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``BatchError`` object."""
        return {"code": self.code, "message": self.message, "param": self.param, "line": self.line}

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "input file"
        who = f" (custom_id {self.custom_id!r})" if self.custom_id is not None else ""
        param = f" {self.param}:" if self.param else ""
        return f"batch {self.batch_id} {where}{who}: [{self.code}]{param} {self.message}"


@dataclass
class BatchLine:
    """One accepted input line."""

    line: int
    custom_id: str
    body: dict[str, Any]


@dataclass
class _BatchFault:
    kind: str
    opts: dict[str, Any]


@dataclass
class _LineFault:
    kind: str
    custom_id: str | None
    line: int | None
    batch_id: str | None
    remaining: int
    opts: dict[str, Any]

    def matches(self, batch_id: str, line: BatchLine) -> bool:
        if self.batch_id is not None and self.batch_id != batch_id:
            return False
        return line.custom_id == self.custom_id if self.custom_id is not None else line.line == self.line


def _zero_usage() -> dict[str, Any]:
    return {
        "input_tokens": 0,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 0,
    }


@dataclass
class StoredBatch:
    """A batch and its progress. ``lines`` are the accepted input lines; ``problems`` the input-file
    problems found at creation (the batch fails at validation when there are any)."""

    id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    created_at: int
    metadata: dict[str, str] | None = None
    output_expires_after_s: int | None = None
    model: str | None = None
    status: str = "validating"
    lines: list[BatchLine] = dataclasses.field(default_factory=list)
    problems: list[BatchProblem] = dataclasses.field(default_factory=list)
    errors: list[dict[str, Any]] | None = None
    timestamps: dict[str, int] = dataclasses.field(default_factory=dict)
    processed: int = 0
    output_lines: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    error_lines: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    completed: int = 0
    failed: int = 0
    usage: dict[str, Any] = dataclasses.field(default_factory=_zero_usage)
    output_file_id: str | None = None
    error_file_id: str | None = None
    stage_polls: int = 0
    expire_after_lines: int | None = None
    fail_with: dict[str, Any] | None = None
    seq: int = 0

    def apply_fault(self, fault: _BatchFault) -> None:
        """Attach a batch-level fault (see :meth:`OpenAIServer.inject_batch`)."""
        if fault.kind == "expired":
            self.expire_after_lines = max(0, int(fault.opts.get("after_lines", 0)))
        else:
            self.fail_with = {
                "code": str(fault.opts.get("code", "batch_failed")),
                "message": str(fault.opts.get("message", "The batch failed during validation.")),
                "param": fault.opts.get("param"),
                "line": fault.opts.get("line"),
            }

    @property
    def total(self) -> int:
        """Requests counted so far: none until the input file has been validated."""
        return 0 if self.status == "validating" or self.errors is not None else len(self.lines)

    def to_json(self) -> dict[str, Any]:
        """The ``Batch`` object. Absent values are left out rather than ``null`` (the real API sends
        ``null``; the contract declares these fields as non-nullable)."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "created_at": self.created_at,
            "expires_at": self.created_at + _DAY_S,
            "request_counts": {"total": self.total, "completed": self.completed, "failed": self.failed},
            "usage": json.loads(json.dumps(self.usage)),
            "metadata": dict(self.metadata) if self.metadata is not None else None,
        }
        if self.model is not None:
            body["model"] = self.model
        if self.errors is not None:
            body["errors"] = {"object": "list", "data": [dict(item) for item in self.errors]}
        body.update(self.timestamps)
        if self.output_file_id is not None:
            body["output_file_id"] = self.output_file_id
        if self.error_file_id is not None:
            body["error_file_id"] = self.error_file_id
        return body


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], app: OpenAIServer) -> None:
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "brandkit-openai-loopback/1"
    timeout = 60
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        return

    def do_POST(self) -> None:
        self.server.app._serve(self)

    do_GET = do_POST
    do_DELETE = do_POST

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reset_connection(self) -> None:
        """Drop the connection without answering (RST)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def write_reply(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


class OpenAIServer:
    """The loopback OpenAI API. Start with :meth:`start` (or ``with OpenAIServer() as server``).

    ``contract`` is a loaded :class:`Contract` (loaded from ``CONTRACTS_DIR`` when
    omitted). ``api_key`` (optional) is the only key accepted; any non-empty
    bearer token is accepted otherwise. ``latency_s`` delays every image
    request; ``rate_limit_rpm`` (with ``rate_limit_window_s``) answers 429 with
    ``retry-after`` above that many requests per window. ``moderation_scores``
    sets category scores returned by ``/v1/moderations`` (others ≈ 0).
    ``allow_invalid`` tells the pytest fixture that contract violations are
    expected in this test.

    Files and batches: :attr:`files` (id → :class:`StoredFile`), :attr:`batches`
    (id → :class:`StoredBatch`), :attr:`batch_problems` (every :class:`BatchProblem`
    found in batch input files), :attr:`batch_polls_per_stage` (retrievals per
    batch stage); :meth:`add_file`, :meth:`inject_batch`, :meth:`inject_batch_line`.
    """

    def __init__(
        self,
        *,
        contract: Contract | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        latency_s: float = 0.0,
        rate_limit_rpm: int | None = None,
        rate_limit_window_s: float = 60.0,
        moderation_scores: Mapping[str, float] | None = None,
        validate_requests: bool = True,
        validate_responses: bool = True,
    ) -> None:
        self.contract = contract or Contract.load()
        self.host = host
        self.port = port
        self.api_key = api_key
        self.latency_s = latency_s
        self.rate_limit_rpm = rate_limit_rpm
        self.rate_limit_window_s = rate_limit_window_s
        self.moderation_scores: dict[str, float] = dict(moderation_scores or {})
        self.validate_requests = validate_requests
        self.validate_responses = validate_responses
        self.allow_invalid = False
        # Optional painter for the returned images: (width, height, output_format, transparent, params) -> bytes.
        # Tests use it to return on-brand imagery (as a well-behaved model would) or deliberately broken imagery.
        self.image_factory: Callable[[int, int, str, bool, Mapping[str, Any]], bytes] | None = None
        # Optional Content Credentials signer for the returned images: (image bytes, params) -> signed bytes, as
        # OpenAI signs its outputs (tests.support.c2pa_certs.openai_signer makes one with a test CA).
        self.content_credentials: Callable[[bytes, Mapping[str, Any]], bytes] | None = None
        self.requests: list[RequestRecord] = []
        self.routes: dict[tuple[str, str], Route] = {}
        self._faults: list[_Fault] = []
        self._window: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._seq = 0
        # Files and Batch state, guarded by _store_lock (re-entrant: finishing a batch stores files).
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, StoredBatch] = {}
        self.batch_problems: list[BatchProblem] = []
        self.batch_polls_per_stage = 1
        self._store_lock = threading.RLock()
        self._store_seq = 0
        self._batch_faults: list[_BatchFault] = []
        self._line_faults: list[_LineFault] = []
        self.add_route("POST", "/images/generations", _images_generate, image_work=True)
        self.add_route("POST", "/images/edits", _images_edit, image_work=True)
        self.add_route("POST", "/moderations", _moderations)
        self.add_route("POST", "/files", _files_create)
        self.add_route("GET", "/files", _files_list)
        self.add_route("GET", "/files/{file_id}", _files_retrieve)
        self.add_route("DELETE", "/files/{file_id}", _files_delete)
        self.add_route("GET", "/files/{file_id}/content", _files_content)
        self.add_route("POST", "/batches", _batches_create)
        self.add_route("GET", "/batches", _batches_list)
        self.add_route("GET", "/batches/{batch_id}", _batches_retrieve)
        self.add_route("POST", "/batches/{batch_id}/cancel", _batches_cancel)
        from tests.support.responses_routes import install  # it imports this module: imported late, no cycle

        self.responses = install(self)  # /v1/responses (create, stream, retrieve)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> OpenAIServer:
        """Bind (port 0 = a free port) and serve in a background thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="openai-loopback",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers and close every open connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with httpd.connections_lock:
            connections = list(httpd.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for ``OpenAI(base_url=...)``: ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self.port}{BASE_PATH}"

    # -- configuration ------------------------------------------------------------------------

    def add_route(self, method: str, endpoint: str, handler: Handler, *, image_work: bool = False) -> None:
        """Serve ``method`` ``/v1<endpoint>`` with ``handler(server, exchange) -> Reply``."""
        template = self._endpoint(endpoint)
        self.routes[(method.upper(), template)] = Route(template, handler, image_work)

    def _route(self, method: str, endpoint: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path parameters, whether the path is served for another method)."""
        exact = self.routes.get((method, endpoint))
        if exact is not None:
            return exact, {}, True
        other_method = False
        for (route_method, _), route in self.routes.items():
            match = route.pattern.match(endpoint)
            if match is None:
                continue
            if route_method == method:
                return route, match.groupdict(), True
            other_method = True
        return None, {}, other_method

    def inject(self, kind: str, times: int = 1, path: str | None = None, **opts: Any) -> None:
        """Queue a fault for the next ``times`` requests (to ``path`` only, or to any endpoint)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {', '.join(sorted(FAULT_KINDS))}")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        with self._lock:
            self._faults.append(_Fault(kind, times, self._endpoint(path) if path else None, dict(opts)))

    def pending_faults(self) -> list[tuple[str, int, str | None]]:
        """Faults not used yet: (kind, remaining, path)."""
        with self._lock:
            return [(fault.kind, fault.remaining, fault.path) for fault in self._faults]

    def reset(self) -> None:
        """Forget recorded requests, queued faults (batch ones too), batch problems and the rate-limit
        window. Stored files and batches are kept."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self._window.clear()
        with self._store_lock:
            self._batch_faults.clear()
            self._line_faults.clear()
            self.batch_problems.clear()

    # -- files and batches --------------------------------------------------------------------

    def add_file(
        self,
        data: bytes,
        *,
        filename: str = "upload",
        purpose: str = "user_data",
        expires_after_s: int | None = None,
    ) -> StoredFile:
        """Store a file as if it had been uploaded (no request is recorded); returns it."""
        with self._store_lock:
            self._store_seq += 1
            created = int(time.time())
            if expires_after_s is None and purpose in ("batch", "batch_output"):
                expires_after_s = _FILE_TTL_S
            stored = StoredFile(
                id=f"file-{uuid.uuid4().hex[:24]}",
                filename=filename,
                purpose=purpose,
                data=bytes(data),
                created_at=created,
                expires_at=created + expires_after_s if expires_after_s is not None else None,
                seq=self._store_seq,
            )
            self.files[stored.id] = stored
            return stored

    def inject_batch(self, kind: str, *, batch_id: str | None = None, **opts: Any) -> None:
        """A batch-level fault for ``batch_id`` (an existing batch) or, by default, the next batch created.

        * ``"expired"`` (opts ``after_lines``, default 0): only the first ``after_lines`` lines run;
          when the batch would enter ``finalizing`` it ends ``expired`` instead, the other lines go to the
          error file as ``batch_expired``.
        * ``"failed"`` (opts ``code`` default ``"batch_failed"``, ``message``, ``param``, ``line``): the batch
          ends ``failed`` at validation with that one error (not a client problem: nothing is recorded in
          :attr:`batch_problems`).
        """
        if kind not in BATCH_FAULT_KINDS:
            raise ValueError(f"unknown batch fault {kind!r}; choose from {', '.join(sorted(BATCH_FAULT_KINDS))}")
        fault = _BatchFault(kind, dict(opts))
        with self._store_lock:
            if batch_id is None:
                self._batch_faults.append(fault)
                return
            batch = self.batches.get(batch_id)
            if batch is None:
                raise KeyError(f"no batch {batch_id!r}")
            batch.apply_fault(fault)

    def inject_batch_line(
        self,
        kind: str,
        *,
        custom_id: str | None = None,
        line: int | None = None,
        batch_id: str | None = None,
        times: int = 1,
        **opts: Any,
    ) -> None:
        """Make the line with ``custom_id`` (or 1-based input ``line``) fail or misbehave when processed.

        Matches lines of any batch unless ``batch_id`` is given; used up after ``times`` matching lines.
        ``kind`` is one of :data:`BATCH_LINE_FAULT_KINDS`: ``"error"`` (opts ``status`` default 400,
        ``code``, ``message``, ``type`` default ``invalid_request_error``, ``param``), or one of the HTTP
        fault kinds with the same body and opts as :meth:`inject` (``moderation_blocked`` – 400 with
        ``moderation_details`` –, ``server_error`` 500, ``overloaded`` 503, ``rate_limit`` 429,
        ``insufficient_quota`` 429, ``bad_request`` 400), or ``truncated_b64`` / ``wrong_size`` (a 200 line
        with broken images).
        """
        if kind not in BATCH_LINE_FAULT_KINDS:
            raise ValueError(
                f"unknown batch line fault {kind!r}; choose from {', '.join(sorted(BATCH_LINE_FAULT_KINDS))}"
            )
        if (custom_id is None) == (line is None):
            raise ValueError("give exactly one of custom_id or line")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        with self._store_lock:
            self._line_faults.append(_LineFault(kind, custom_id, line, batch_id, times, dict(opts)))

    def file_lines(self, file_id: str) -> list[dict[str, Any]]:
        """The JSON objects of a stored JSONL file (an output or error file), in file order."""
        with self._store_lock:
            stored = self.files[file_id]
        return [json.loads(line) for line in stored.data.decode("utf-8").splitlines() if line.strip()]

    # -- inspection ---------------------------------------------------------------------------

    @staticmethod
    def _endpoint(path: str) -> str:
        path = "/" + path.strip("/")
        if path.startswith(BASE_PATH + "/"):
            path = path[len(BASE_PATH) :]
        return path

    def records(self, path: str | None = None, method: str | None = None) -> list[RequestRecord]:
        """Recorded requests, oldest first: to ``path`` only when given (a concrete path, or a route
        template such as ``/batches/{batch_id}``), with ``method`` only when given."""
        with self._lock:
            items = list(self.requests)
        if path is not None:
            endpoint = self._endpoint(path)
            items = [
                item for item in items if item.endpoint == endpoint or ("{" in endpoint and item.route == endpoint)
            ]
        if method is not None:
            items = [item for item in items if item.method == method.upper()]
        return items

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """How many requests were received (to ``path`` / with ``method`` only when given)."""
        return len(self.records(path, method))

    def invalid_requests(self) -> list[RequestRecord]:
        """Requests that did not conform to the contract."""
        return [item for item in self.records() if item.validation_errors]

    # -- request handling ---------------------------------------------------------------------

    def _serve(self, handler: _RequestHandler) -> None:
        started = time.monotonic()
        split = urlsplit(handler.path)
        endpoint = self._endpoint(split.path)
        headers = {key.lower(): value for key, value in handler.headers.items()}
        content_type = headers.get("content-type", "")
        body = handler.read_body()
        with self._lock:
            self._seq += 1
            record = RequestRecord(
                seq=self._seq,
                method=handler.command,
                path=split.path,
                endpoint=endpoint,
                content_type=content_type,
                headers={
                    key: value
                    for key, value in headers.items()
                    if key
                    in (
                        "content-type",
                        "user-agent",
                        "x-stainless-retry-count",
                        "idempotency-key",
                        "openai-organization",
                        "openai-project",
                    )
                },
                request_id=f"req_{uuid.uuid4().hex[:24]}",
                started=started,
            )
            self.requests.append(record)
        exchange = Exchange(
            method=handler.command,
            endpoint=endpoint,
            headers=headers,
            content_type=content_type,
            body=body,
            record=record,
        )
        exchange.query = dict(parse_qsl(split.query))
        reply = self._answer(exchange)
        if reply.reset:
            record.status = None
            record.finished = time.monotonic()
            handler.reset_connection()
            return
        payload = reply.payload()
        response_headers = {"Content-Type": reply.content_type, "x-request-id": record.request_id or ""}
        response_headers.update(self._rate_headers())
        # the backend's time, from admission (a gateway read the request and counted it) to the answer; a
        # request refused before admission was processed from its arrival
        processed_from = started if exchange.admitted is None else exchange.admitted
        response_headers["openai-processing-ms"] = str(int((time.monotonic() - processed_from) * 1000))
        response_headers.update(reply.headers)
        record.status = reply.status
        if self.validate_responses and reply.validate:
            record.response_errors[:0] = self.contract.validate_response(
                exchange.method,
                endpoint,
                reply.status,
                reply.content_type,
                response_headers,
                payload,
                template=exchange.template or None,
            )
        try:
            handler.write_reply(reply.status, response_headers, payload)
        except OSError:
            record.client_gone = True
            handler.close_connection = True
        record.finished = time.monotonic()

    def _answer(self, exchange: Exchange) -> Reply:
        record = exchange.record
        assert record is not None
        route, exchange.path_params, known = self._route(exchange.method, exchange.endpoint)
        if route is None:
            record.validation_errors.append(f"{exchange.method} {exchange.endpoint} is not served")
            return _unvalidated(error_reply(405 if known else 404, f"Invalid URL ({exchange.method} {record.path})"))
        exchange.template = route.template
        record.route = route.template
        authorization = exchange.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        record.authorized = scheme.lower() == "bearer" and bool(token.strip())
        if not record.authorized:
            record.validation_errors.append("missing or malformed 'Authorization: Bearer <key>' header")
            return error_reply(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code=None,
            )
        problems = self._parse(exchange)
        if self.validate_requests and not problems:
            problems = self._validate(exchange)
        record.validation_errors.extend(problems)
        if problems:
            return error_reply(
                400,
                "Invalid request (does not match the OpenAI API description): " + "; ".join(problems[:5]),
                code="invalid_request",
            )
        if self.api_key is not None and token.strip() != self.api_key:
            return error_reply(401, f"Incorrect API key provided: {_mask(token.strip())}.", code="invalid_api_key")
        limited = self._rate_limited()
        if limited is not None:
            record.fault = "rate_limit_window"
            return limited
        exchange.admitted = time.monotonic()
        exchange.fault = self._take_fault(exchange.endpoint, exchange.template)
        if exchange.fault is not None:
            record.fault = exchange.fault.kind
            early = self._early_fault(exchange, token.strip())
            if early is not None:
                return early
        if route.image_work and self.latency_s > 0:
            self._stopping.wait(self.latency_s)
        try:
            return route.handler(self, exchange)
        except Exception as exc:  # a bug in a route: answer 500 and keep the reason in the log
            record.handler_error = f"{type(exc).__name__}: {exc}"
            return error_reply(500, f"loopback route failed: {record.handler_error}", type_="server_error")

    def _parse(self, exchange: Exchange) -> list[str]:
        record = exchange.record
        assert record is not None
        media = exchange.content_type.split(";")[0].strip().lower()
        try:
            if media == "application/json":
                exchange.json = json.loads(exchange.body or b"null")
                record.fields = _summarise(exchange.json) if isinstance(exchange.json, dict) else {}
            elif media == "multipart/form-data":
                form: dict[str, Any] = {}
                counts: collections.Counter[str] = collections.Counter()
                for part in parse_multipart(exchange.body, exchange.content_type):
                    name = part.field if isinstance(part, UploadedFile) else part[0]
                    counts[name] += 1
                    if isinstance(part, UploadedFile):
                        exchange.files.append(part)
                    else:
                        form.setdefault(name, []).append(part[1])
                exchange.form = {
                    key: values if key.endswith("[]") or len(values) > 1 else values[0] for key, values in form.items()
                }
                record.files = [item.summary() for item in exchange.files]
                record.fields = {
                    key: value
                    for key, value in self._form_instance(exchange).items()
                    if key not in {item.field.removesuffix("[]") for item in exchange.files}
                }
            elif exchange.body:
                return [f"unsupported content type {exchange.content_type!r}"]
        except (ValueError, UnicodeDecodeError) as exc:
            return [f"cannot parse the {media or 'request'} body: {exc}"]
        return []

    def _validate(self, exchange: Exchange) -> list[str]:
        media = exchange.content_type.split(";")[0].strip().lower()
        if self.contract.operation(exchange.method, exchange.template) is None:
            return [f"{exchange.method} {exchange.template} is not an operation of the contract"]
        if media == "multipart/form-data":
            return self.contract.validate_form_request(
                exchange.method, exchange.template, exchange.content_type, self._form_instance(exchange)
            )
        return self.contract.validate_json_request(
            exchange.method, exchange.endpoint, exchange.body, exchange.content_type, exchange.headers, exchange.query
        )

    def _form_instance(self, exchange: Exchange) -> dict[str, Any]:
        """The multipart body as the JSON instance its contract schema describes.

        ``name[]`` parts become an array under ``name``; files become the string
        ``"<binary>"`` (``format: binary``); text fields are converted to the
        integer / number / boolean type the schema declares when they parse as one.
        """
        schema = self.contract.form_schema(exchange.method, exchange.template or exchange.endpoint)
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        instance: dict[str, Any] = {}
        grouped: dict[str, list[Any]] = {}
        arrays: set[str] = set()
        for upload in exchange.files:
            name = upload.field
            if name.endswith("[]"):
                name = name[:-2]
                arrays.add(name)
            grouped.setdefault(name, []).append("<binary>")
        nested: dict[str, dict[str, Any]] = {}
        for raw_name, value in exchange.form.items():
            member = re.fullmatch(r"(\w+)\[(\w+)\]", raw_name)  # expires_after[seconds] -> an object member
            if member is not None:
                parent, child = member.groups()
                parent_schema = self.contract.resolved(properties.get(parent, {}))
                child_schema = parent_schema.get("properties", {}).get(child, {})
                types = self.contract.schema_types(child_schema)
                nested.setdefault(parent, {})[child] = _coerce(value[-1] if isinstance(value, list) else value, types)
                continue
            name = raw_name[:-2] if raw_name.endswith("[]") else raw_name
            if raw_name.endswith("[]"):
                arrays.add(name)
            values = value if isinstance(value, list) else [value]
            types = self.contract.schema_types(properties.get(name, {}))
            grouped.setdefault(name, []).extend(_coerce(item, types) for item in values)
        for name, values in grouped.items():
            instance[name] = values if name in arrays or len(values) > 1 else values[0]
        instance.update(nested)
        return instance

    def _rate_limited(self) -> Reply | None:
        if not self.rate_limit_rpm:
            return None
        now = time.monotonic()
        with self._lock:
            while self._window and now - self._window[0] >= self.rate_limit_window_s:
                self._window.popleft()
            if len(self._window) >= self.rate_limit_rpm:
                wait = max(0.001, self._window[0] + self.rate_limit_window_s - now)
                return error_reply(
                    429,
                    f"Rate limit reached: {self.rate_limit_rpm} requests per {self.rate_limit_window_s:g}s. "
                    f"Please try again in {wait:.3f}s.",
                    type_="requests",
                    code="rate_limit_exceeded",
                    headers={
                        "retry-after-ms": str(math.ceil(wait * 1000)),
                        "retry-after": str(math.ceil(wait)),
                    },
                )
            self._window.append(now)
        return None

    def _rate_headers(self) -> dict[str, str]:
        limit = self.rate_limit_rpm or 5000
        window = self.rate_limit_window_s if self.rate_limit_rpm else 60.0
        now = time.monotonic()
        with self._lock:
            used = sum(1 for stamp in self._window if now - stamp < window) if self.rate_limit_rpm else 0
            reset = (self._window[0] + window - now) if self._window and self.rate_limit_rpm else 0.0
        return {
            "x-ratelimit-limit-requests": str(limit),
            "x-ratelimit-remaining-requests": str(max(0, limit - used)),
            "x-ratelimit-reset-requests": f"{max(0, int(reset * 1000))}ms",
            "x-ratelimit-limit-tokens": "1000000",
            "x-ratelimit-remaining-tokens": "999000",
            "x-ratelimit-reset-tokens": "60ms",
        }

    def _take_fault(self, endpoint: str, template: str = "") -> _Fault | None:
        with self._lock:
            for position, fault in enumerate(self._faults):
                if fault.path is None or fault.path in (endpoint, template):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self._faults[position]
                    return fault
        return None

    def _early_fault(self, exchange: Exchange, token: str) -> Reply | None:
        """Faults that replace the answer; ``None`` for those applied while answering."""
        fault = exchange.fault
        assert fault is not None
        opts = fault.opts
        kind = fault.kind
        if kind == "rate_limit":
            headers: dict[str, str] = {"x-ratelimit-remaining-requests": "0"}
            if "retry_after" in opts and "retry_after_ms" not in opts:
                headers["retry-after"] = str(opts["retry_after"])
            else:
                millis = float(opts.get("retry_after_ms", 50))
                headers["retry-after-ms"] = f"{millis:g}"
                headers["retry-after"] = str(opts.get("retry_after", max(1, math.ceil(millis / 1000))))
            return error_reply(
                429,
                "Rate limit reached for images per minute. Please try again later.",
                type_="requests",
                code="rate_limit_exceeded",
                headers=headers,
            )
        if kind == "server_error":
            return error_reply(500, "The server had an error while processing your request.", type_="server_error")
        if kind == "overloaded":
            return error_reply(
                503,
                "The engine is currently overloaded, please try again later.",
                type_="service_unavailable_error",
                code="server_is_overloaded",
            )
        if kind == "slow":
            self._stopping.wait(float(opts.get("delay_s", 2.0)))
            return None
        if kind == "reset":
            return Reply(reset=True)
        if kind == "moderation_blocked":
            stage = opts.get("stage", "input")
            categories = list(opts.get("categories", ["violence"]))
            return error_reply(
                400,
                "Your request was rejected by the safety system. If you believe this is an error, contact us "
                f"and include the request ID. safety_violations=[{', '.join(categories)}].",
                type_="image_generation_user_error",
                code="moderation_blocked",
                extra={"moderation_details": {"moderation_stage": stage, "categories": categories}},
            )
        if kind == "insufficient_quota":
            return error_reply(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                type_="insufficient_quota",
                code="insufficient_quota",
            )
        if kind == "auth":
            return error_reply(401, f"Incorrect API key provided: {token}.", code="invalid_api_key")
        if kind == "bad_request":
            return error_reply(
                400,
                str(opts.get("message", "Invalid value for a parameter.")),
                param=opts.get("param"),
                code=opts.get("code", "invalid_value"),
            )
        return None  # malformed_json, truncated_b64, wrong_size: applied by the route

    # -- helpers for routes -------------------------------------------------------------------

    def image_reply(self, exchange: Exchange, params: Mapping[str, Any], input_images: int) -> Reply:
        """A contract-shaped ``ImagesResponse`` for ``params``, honouring data-level faults."""
        fault = exchange.fault.kind if exchange.fault else None
        opts = exchange.fault.opts if exchange.fault else {}
        if fault == "malformed_json":
            return Reply(raw=b'{"created": 1700000000, "data": [{"b64_json": "iVBORw0KGgo', validate=False)
        output_format = str(params.get("output_format") or "png")
        size = str(params.get("size") or "auto")
        match = _SIZE.match(size)
        width, height = (int(match.group(1)), int(match.group(2))) if match else (1024, 1024)
        if fault == "wrong_size":
            width = int(opts.get("width", max(16, width // 2 // 16 * 16)))
            height = int(opts.get("height", max(16, height // 2 // 16 * 16)))
        transparent = params.get("background") == "transparent"
        n = int(params.get("n") or 1)
        quality = str(params.get("quality") or "auto")
        factory = self.image_factory
        image = (
            factory(width, height, output_format, transparent, params)
            if factory is not None
            else render_image(width, height, output_format, transparent)
        )
        if self.content_credentials is not None:
            image = self.content_credentials(image, params)
        encoded = base64.b64encode(image).decode("ascii")
        if fault == "truncated_b64":
            encoded = encoded[: len(encoded) // 2 // 4 * 4]
        prompt = str(params.get("prompt") or "")
        text_tokens = max(1, len(prompt) // 4)
        image_tokens = 323 * input_images
        per_image = int(_OUTPUT_TOKENS.get(quality, 1056) * max(1.0, width * height / (1024 * 1024)))
        output_tokens = per_image * n
        body: dict[str, Any] = {
            "created": int(time.time()),
            "data": [{"b64_json": encoded} for _ in range(n)],
            "background": "transparent" if transparent else "opaque",
            "output_format": output_format,
            "quality": quality if quality in ("low", "medium", "high") else "medium",
            "usage": {
                "input_tokens": text_tokens + image_tokens,
                "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
                "output_tokens": output_tokens,
                "output_tokens_details": {"image_tokens": output_tokens, "text_tokens": 0},
                "total_tokens": text_tokens + image_tokens + output_tokens,
            },
        }
        if f"{width}x{height}" in _RESPONSE_SIZES:
            body["size"] = f"{width}x{height}"
        if exchange.record is not None:
            exchange.record.response = {
                "images": [{"width": width, "height": height, "format": output_format}] * n,
                "usage": body["usage"],
            }
        return Reply(body=body)


def _unvalidated(reply: Reply) -> Reply:
    reply.validate = False
    return reply


def _mask(key: str) -> str:
    return key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 8 else "***"


def _coerce(value: Any, types: set[str]) -> Any:
    """A multipart text value as the type its schema declares (left as text when it does not parse)."""
    if not isinstance(value, str) or not types or "string" in types:
        return value
    if "integer" in types and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            pass
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    if "null" in types and value in ("", "null"):
        return None
    return value


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------


def _images_generate(server: OpenAIServer, exchange: Exchange) -> Reply:
    params = exchange.json if isinstance(exchange.json, dict) else {}
    return server.image_reply(exchange, params, input_images=0)


def _images_edit(server: OpenAIServer, exchange: Exchange) -> Reply:
    params = dict(_server_form(server, exchange))
    images = [item for item in exchange.files if item.field in ("image", "image[]")]
    return server.image_reply(exchange, params, input_images=len(images))


def _server_form(server: OpenAIServer, exchange: Exchange) -> dict[str, Any]:
    return {key: value for key, value in server._form_instance(exchange).items() if value != "<binary>"}


def _moderations(server: OpenAIServer, exchange: Exchange) -> Reply:
    params = exchange.json if isinstance(exchange.json, dict) else {}
    raw_input = params.get("input")
    items = raw_input if isinstance(raw_input, list) else [raw_input]
    images = sum(1 for item in items if isinstance(item, dict) and item.get("type") == "image_url")
    has_text = any(isinstance(item, str) or (isinstance(item, dict) and item.get("type") == "text") for item in items)
    if images > 1:
        return error_reply(
            400, f"Number of images ({images}) exceeds maximum of 1.", param="input", code="too_many_images"
        )
    if exchange.fault is not None and exchange.fault.kind == "malformed_json":
        return Reply(raw=b'{"id": "modr-1", "results": [{"flagged": fal', validate=False)
    scores = {category: 0.0001 for category in MODERATION_CATEGORIES}
    scores.update({key: float(value) for key, value in server.moderation_scores.items()})
    applied: dict[str, list[str]] = {}
    for category in scores:
        kinds: list[str] = []
        if has_text:
            kinds.append("text")
        if images and category in IMAGE_MODERATION_CATEGORIES:
            kinds.append("image")
        applied[category] = kinds
    result = {
        "flagged": any(value >= 0.5 for value in scores.values()),
        "categories": {category: value >= 0.5 for category, value in scores.items()},
        "category_scores": scores,
        "category_applied_input_types": applied,
    }
    model = str(params.get("model") or "omni-moderation-latest")
    body = {
        "id": f"modr-{uuid.uuid4().hex[:20]}",
        "model": "omni-moderation-2024-09-26" if model == "omni-moderation-latest" else model,
        "results": [result],
    }
    if exchange.record is not None:
        exchange.record.response = {"scores": scores, "images": images, "text": has_text}
    return Reply(body=body)


# -- Files ------------------------------------------------------------------------------------


def _json_reply(exchange: Exchange, body: Any) -> Reply:
    """A JSON answer; a ``malformed_json`` fault cuts it off (as it does for the image routes)."""
    if exchange.fault is not None and exchange.fault.kind == "malformed_json":
        payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
        return Reply(raw=payload[: max(1, len(payload) // 2)], validate=False)
    return Reply(body=body)


def _stored_file(server: OpenAIServer, exchange: Exchange) -> StoredFile | Reply:
    file_id = exchange.path_params.get("file_id", "")
    with server._store_lock:
        stored = server.files.get(file_id)
    if stored is None:
        return error_reply(404, f"No such File object: {file_id}", param="id")
    return stored


def _files_create(server: OpenAIServer, exchange: Exchange) -> Reply:
    uploads = [item for item in exchange.files if item.field == "file"]
    if len(uploads) != 1:
        return error_reply(400, "The 'file' field must be exactly one uploaded file.", param="file")
    form = _server_form(server, exchange)
    purpose = str(form.get("purpose"))
    filename = uploads[0].filename or "upload"
    if purpose == "batch" and not filename.endswith(".jsonl"):
        return error_reply(
            400, "Invalid file format for Batch API. Must be .jsonl", param="file", code="invalid_file_format"
        )
    expires = form.get("expires_after")
    seconds = int(expires["seconds"]) if isinstance(expires, dict) and "seconds" in expires else None
    stored = server.add_file(uploads[0].data, filename=filename, purpose=purpose, expires_after_s=seconds)
    if exchange.record is not None:
        exchange.record.response = {"file_id": stored.id, "bytes": len(stored.data), "purpose": purpose}
    return _json_reply(exchange, stored.to_json())


def _files_list(server: OpenAIServer, exchange: Exchange) -> Reply:
    query = exchange.query
    with server._store_lock:
        items = sorted(
            server.files.values(), key=lambda item: (item.created_at, item.seq), reverse=query.get("order") != "asc"
        )
    if query.get("purpose"):
        items = [item for item in items if item.purpose == query["purpose"]]
    ids = [item.id for item in items]
    if query.get("after") in ids:
        items = items[ids.index(query["after"]) + 1 :]
    limit = min(10_000, max(1, int(query.get("limit") or 10_000)))
    page = items[:limit]
    # ListFilesResponse requires first_id/last_id as strings: "" for an empty page (the real API sends null).
    body = {
        "object": "list",
        "data": [item.to_json() for item in page],
        "first_id": page[0].id if page else "",
        "last_id": page[-1].id if page else "",
        "has_more": len(items) > limit,
    }
    return _json_reply(exchange, body)


def _files_retrieve(server: OpenAIServer, exchange: Exchange) -> Reply:
    stored = _stored_file(server, exchange)
    return stored if isinstance(stored, Reply) else _json_reply(exchange, stored.to_json())


def _files_delete(server: OpenAIServer, exchange: Exchange) -> Reply:
    stored = _stored_file(server, exchange)
    if isinstance(stored, Reply):
        return stored
    with server._store_lock:
        server.files.pop(stored.id, None)
    return _json_reply(exchange, {"id": stored.id, "object": "file", "deleted": True})


def _files_content(server: OpenAIServer, exchange: Exchange) -> Reply:
    stored = _stored_file(server, exchange)
    if isinstance(stored, Reply):
        return stored
    data = stored.data
    if exchange.fault is not None and exchange.fault.kind == "malformed_json":
        data = data[: len(data) // 2]  # a download cut short
    # Not validated: the contract describes this download as an application/json string, but it is the
    # file's raw bytes (JSONL, PNG, …) sent as application/octet-stream, as the real API does.
    return _unvalidated(Reply(raw=data, content_type="application/octet-stream"))


# -- Batches ----------------------------------------------------------------------------------


def _batch_param(root: str, path: Iterable[Any]) -> str:
    """``body.images[0].file_id`` from a JSON path."""
    return root + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _file_refs(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(param, file_id) of every uploaded file an image request body refers to (``images[]``, ``mask``)."""
    refs: list[tuple[str, str]] = []
    images = body.get("images")
    if isinstance(images, list):
        for index, item in enumerate(images):
            if isinstance(item, dict) and isinstance(item.get("file_id"), str):
                refs.append((f"body.images[{index}].file_id", item["file_id"]))
    mask = body.get("mask")
    if isinstance(mask, dict) and isinstance(mask.get("file_id"), str):
        refs.append(("body.mask.file_id", mask["file_id"]))
    return refs


def _parse_batch_input(
    server: OpenAIServer, batch: StoredBatch, data: bytes
) -> tuple[list[BatchLine], list[BatchProblem]]:
    """The accepted lines of an input file and its problems (call with ``server._store_lock`` held)."""
    problems: list[BatchProblem] = []

    def problem(line: int | None, code: str, message: str, param: str | None = None, cid: Any = None) -> None:
        custom_id = cid if isinstance(cid, str) else None
        problems.append(BatchProblem(batch.id, line, code, _short(message), param, custom_id))

    contract_path = BATCH_IMAGE_ENDPOINTS[batch.endpoint]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problem(None, "invalid_file_format", "The input file is not UTF-8 encoded JSONL.")
        return [], problems
    numbered = [(number, raw) for number, raw in enumerate(text.split("\n"), 1) if raw.strip()]
    if not numbered:
        problem(None, "empty_file", "The input file is empty.")
        return [], problems
    if len(numbered) > BATCH_MAX_LINES:
        problem(None, "too_many_tasks", f"The input file has {len(numbered)} requests; the limit is {BATCH_MAX_LINES}.")
        return [], problems
    pointer = server.contract.request_body_pointer("POST", contract_path)
    assert pointer is not None, contract_path
    validator = server.contract.validator(pointer)
    known = set(server.contract.form_schema("POST", contract_path, "application/json").get("properties", {}))
    seen: dict[str, int] = {}
    first_model: tuple[str, int] | None = None
    lines: list[BatchLine] = []
    for number, raw in numbered:
        try:
            item = json.loads(raw)
        except ValueError:
            problem(number, "invalid_json_line", "This line is not parseable as valid JSON.")
            continue
        if not isinstance(item, dict):
            problem(number, "invalid_json_line", "This line is not a JSON object.")
            continue
        before = len(problems)
        cid = item.get("custom_id")
        for key in _BATCH_LINE_KEYS:
            if key not in item:
                problem(number, "missing_required_parameter", f"Missing required parameter: '{key}'.", key, cid)
        for key in item:
            if key not in _BATCH_LINE_KEYS:
                problem(number, "unknown_parameter", f"Unknown parameter: '{key}'.", key, cid)
        if "custom_id" in item:
            if not isinstance(cid, str) or not cid:
                problem(number, "invalid_value", "custom_id must be a non-empty string.", "custom_id")
            elif cid in seen:
                message = f"The custom_id '{cid}' is already used on line {seen[cid]}; custom_ids must be unique."
                problem(number, "duplicate_custom_id", message, "custom_id", cid)
            else:
                seen[cid] = number
        if "method" in item and item["method"] != "POST":
            problem(
                number, "invalid_value", f"Invalid method {item['method']!r}: only 'POST' is supported.", "method", cid
            )
        if "url" in item and item["url"] != batch.endpoint:
            message = f"The url {item['url']!r} does not match the batch endpoint '{batch.endpoint}'."
            problem(number, "url_mismatch", message, "url", cid)
        body = item.get("body")
        if "body" in item and not isinstance(body, dict):
            problem(number, "invalid_value", "body must be a JSON object.", "body", cid)
        if isinstance(body, dict):
            errors = sorted(validator.iter_errors(body), key=lambda error: [str(p) for p in error.absolute_path])
            for error in errors:
                path = list(error.absolute_path)
                code = "invalid_value"
                if error.validator == "required":
                    code = "missing_required_parameter"
                    missing = re.match(r"'([^']+)' is a required property", error.message)
                    path += [missing.group(1)] if missing else []
                problem(number, code, error.message, _batch_param("body", path), cid)
            for key in body:
                if key not in known:  # the contract leaves additionalProperties open; the real API refuses them
                    problem(number, "unknown_parameter", f"Unknown parameter: 'body.{key}'.", f"body.{key}", cid)
            model = body.get("model")
            if isinstance(model, str):
                if first_model is None:
                    first_model = (model, number)
                elif model != first_model[0]:
                    message = (
                        f"The model '{model}' differs from '{first_model[0]}' on line {first_model[1]}; "
                        "every request in a batch must use the same model."
                    )
                    problem(number, "model_mismatch", message, "body.model", cid)
            for param, file_id in _file_refs(body):
                if file_id not in server.files:
                    problem(number, "file_not_found", f"No such File object: {file_id}", param, cid)
        if len(problems) == before and isinstance(cid, str) and isinstance(body, dict):
            lines.append(BatchLine(number, cid, body))
    batch.model = first_model[0] if first_model else None
    return lines, problems


def _batch_not_found(batch_id: str) -> Reply:
    return error_reply(404, f"No batch found with id '{batch_id}'.", param="batch_id")


def _batches_create(server: OpenAIServer, exchange: Exchange) -> Reply:
    params = exchange.json if isinstance(exchange.json, dict) else {}
    input_file_id = str(params.get("input_file_id"))
    endpoint = str(params.get("endpoint"))
    expires = params.get("output_expires_after")
    with server._store_lock:
        stored = server.files.get(input_file_id)
        if stored is None:
            return error_reply(
                400, f"No such File object: {input_file_id}", param="input_file_id", code="file_not_found"
            )
        if stored.purpose != "batch":
            return error_reply(
                400,
                f"The input file {input_file_id} has purpose '{stored.purpose}'; batch input files must be uploaded "
                "with purpose 'batch'.",
                param="input_file_id",
                code="invalid_purpose",
            )
        server._store_seq += 1
        batch = StoredBatch(
            id=f"batch_{uuid.uuid4().hex}",
            endpoint=endpoint,
            input_file_id=input_file_id,
            completion_window=str(params.get("completion_window")),
            created_at=int(time.time()),
            metadata=params.get("metadata"),
            output_expires_after_s=int(expires["seconds"]) if isinstance(expires, dict) else None,
            seq=server._store_seq,
        )
        if endpoint in BATCH_IMAGE_ENDPOINTS:
            batch.lines, batch.problems = _parse_batch_input(server, batch, stored.data)
        else:  # valid for the real API, not implemented here: not the client's problem
            batch.fail_with = {
                "code": "unsupported_endpoint",
                "message": f"The loopback server processes only {' and '.join(BATCH_IMAGE_ENDPOINTS)} batches.",
                "param": "endpoint",
                "line": None,
            }
        if server._batch_faults:
            batch.apply_fault(server._batch_faults.pop(0))
        server.batches[batch.id] = batch
        server.batch_problems.extend(batch.problems)
        body = batch.to_json()
    if exchange.record is not None:
        exchange.record.validation_errors.extend(str(item) for item in batch.problems)
        exchange.record.response = {"batch_id": batch.id, "lines": len(batch.lines), "problems": len(batch.problems)}
    return _json_reply(exchange, body)


def _batches_list(server: OpenAIServer, exchange: Exchange) -> Reply:
    query = exchange.query
    with server._store_lock:
        items = sorted(server.batches.values(), key=lambda item: (item.created_at, item.seq), reverse=True)
        ids = [item.id for item in items]
        if query.get("after") in ids:
            items = items[ids.index(query["after"]) + 1 :]
        limit = min(100, max(1, int(query.get("limit") or 20)))
        page = [item.to_json() for item in items[:limit]]
    body: dict[str, Any] = {"object": "list", "data": page, "has_more": len(items) > limit}
    if page:
        body["first_id"], body["last_id"] = page[0]["id"], page[-1]["id"]
    return _json_reply(exchange, body)


def _on_batch(exchange: Exchange, server: OpenAIServer, act: Callable[[StoredBatch], Reply | None]) -> Reply:
    """``act`` on the batch the path names, under the store lock: its reply, or the batch's JSON when it returns
    ``None``; 404 for an unknown id."""
    batch_id = exchange.path_params.get("batch_id", "")
    with server._store_lock:
        batch = server.batches.get(batch_id)
        if batch is None:
            return _batch_not_found(batch_id)
        refused = act(batch)
        if refused is not None:
            return refused
        body = batch.to_json()
    if exchange.record is not None:
        exchange.record.response = {"status": body["status"], "request_counts": body["request_counts"]}
    return _json_reply(exchange, body)


def _batches_retrieve(server: OpenAIServer, exchange: Exchange) -> Reply:
    return _on_batch(exchange, server, lambda batch: _poll_batch(server, batch, exchange))


def _batches_cancel(server: OpenAIServer, exchange: Exchange) -> Reply:
    def cancel(batch: StoredBatch) -> Reply | None:
        if batch.status in ("validating", "in_progress", "finalizing"):
            _set_batch_status(batch, "cancelling")
        elif batch.status != "cancelling":
            return error_reply(400, f"Cannot cancel a batch with status '{batch.status}'.", param="batch_id")
        return None

    return _on_batch(exchange, server, cancel)


# -- Batch progress (all called with server._store_lock held) ---------------------------------


def _set_batch_status(batch: StoredBatch, status: str) -> None:
    batch.status = status
    batch.timestamps[f"{status}_at"] = int(time.time())
    batch.stage_polls = 0


def _poll_batch(server: OpenAIServer, batch: StoredBatch, exchange: Exchange) -> None:
    """One retrieval: count it, and move the batch on when its stage has had its polls."""
    if batch.status in BATCH_TERMINAL:
        return
    if batch.status == "cancelling":
        _finish_batch(server, batch, "cancelled")
        return
    per = max(0, int(server.batch_polls_per_stage))
    if per == 0:
        while batch.status not in BATCH_TERMINAL:
            _advance_batch(server, batch, exchange, per=1, final=True)
        return
    batch.stage_polls += 1
    _advance_batch(server, batch, exchange, per=per, final=batch.stage_polls >= per)


def _advance_batch(server: OpenAIServer, batch: StoredBatch, exchange: Exchange, *, per: int, final: bool) -> None:
    if batch.status == "validating":
        if not final:
            return
        errors = [item.to_json() for item in batch.problems]
        if not errors and batch.fail_with is not None:
            errors = [dict(batch.fail_with)]
        if errors:
            batch.errors = errors
            _set_batch_status(batch, "failed")
        else:
            _set_batch_status(batch, "in_progress")
    elif batch.status == "in_progress":
        total = len(batch.lines)
        runnable = total if batch.expire_after_lines is None else min(total, batch.expire_after_lines)
        upto = runnable if final else min(runnable, batch.processed + math.ceil(total / per))
        while batch.processed < upto:
            line = batch.lines[batch.processed]
            batch.processed += 1
            _run_batch_line(server, batch, line, exchange)
        if final and batch.expire_after_lines is not None:
            for line in batch.lines[batch.processed :]:
                batch.error_lines.append(
                    {
                        "id": f"batch_req_{uuid.uuid4().hex}",
                        "custom_id": line.custom_id,
                        "response": None,
                        "error": {"code": "batch_expired", "message": _BATCH_EXPIRED_MESSAGE},
                    }
                )
                batch.failed += 1
            batch.processed = total
            _finish_batch(server, batch, "expired")
        elif final:
            _set_batch_status(batch, "finalizing")
    elif batch.status == "finalizing" and final:
        _finish_batch(server, batch, "completed")


def _finish_batch(server: OpenAIServer, batch: StoredBatch, status: str) -> None:
    """Enter a terminal status and store the output and error files (each only when it has lines)."""
    _set_batch_status(batch, status)
    for kind, lines in (("output", batch.output_lines), ("error", batch.error_lines)):
        if not lines:
            continue
        data = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode("utf-8")
        stored = server.add_file(
            data,
            filename=f"{batch.id}_{kind}.jsonl",
            purpose="batch_output",
            expires_after_s=batch.output_expires_after_s,
        )
        if kind == "output":
            batch.output_file_id = stored.id
        else:
            batch.error_file_id = stored.id


def _take_line_fault(server: OpenAIServer, batch: StoredBatch, line: BatchLine) -> _LineFault | None:
    for position, fault in enumerate(server._line_faults):
        if fault.matches(batch.id, line):
            fault.remaining -= 1
            if fault.remaining <= 0:
                del server._line_faults[position]
            return fault
    return None


def _run_batch_line(server: OpenAIServer, batch: StoredBatch, line: BatchLine, exchange: Exchange) -> None:
    """Answer one line as the synchronous endpoint would, and file the answer as output or error."""
    fault = _take_line_fault(server, batch, line)
    contract_path = BATCH_IMAGE_ENDPOINTS[batch.endpoint]
    body = line.body
    line_exchange = Exchange(
        method="POST",
        endpoint=contract_path,
        headers={},
        content_type="application/json",
        body=b"",
        template=contract_path,
        json=body,
        fault=_Fault(fault.kind, 1, None, dict(fault.opts)) if fault is not None else None,
    )
    missing = [(param, file_id) for param, file_id in _file_refs(body) if file_id not in server.files]
    reply: Reply | None
    if missing:  # deleted since the batch was created
        reply = error_reply(400, f"No such File object: {missing[0][1]}", param=missing[0][0], code="file_not_found")
    elif fault is not None and fault.kind == "error":
        status = int(fault.opts.get("status", 400))
        reply = error_reply(
            status,
            str(fault.opts.get("message", "The request failed.")),
            type_=str(fault.opts.get("type", "server_error" if status >= 500 else "invalid_request_error")),
            code=fault.opts.get("code"),
            param=fault.opts.get("param"),
        )
    elif fault is not None and fault.kind not in ("truncated_b64", "wrong_size"):
        reply = server._early_fault(line_exchange, "")
        assert reply is not None, fault.kind
    else:
        images = body.get("images")
        reply = server.image_reply(line_exchange, body, input_images=len(images) if isinstance(images, list) else 0)
    if server.validate_responses and exchange.record is not None:
        schema = "ImagesResponse" if reply.status == 200 else "ErrorResponse"
        validator = server.contract.validator(Contract._pointer("components", "schemas", schema))
        for error in validator.iter_errors(reply.body):
            where = "/".join(str(part) for part in error.absolute_path) or "<body>"
            exchange.record.response_errors.append(
                f"batch {batch.id} line {line.line} ({line.custom_id}) {schema}: {where}: {_short(error.message)}"
            )
    entry = {
        "id": f"batch_req_{uuid.uuid4().hex}",
        "custom_id": line.custom_id,
        "response": {"status_code": reply.status, "request_id": f"req_{uuid.uuid4().hex}", "body": reply.body},
        "error": None,
    }
    if reply.status == 200:
        batch.output_lines.append(entry)
        batch.completed += 1
        usage = reply.body.get("usage") or {}
        for key in ("input_tokens", "output_tokens", "total_tokens"):
            batch.usage[key] += int(usage.get(key, 0))
    else:
        batch.error_lines.append(entry)
        batch.failed += 1


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m tests.support.openai_server --port 8765``: print the base URL and serve until killed."""
    parser = argparse.ArgumentParser(description="Loopback OpenAI API server (validates against the contract).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each image request")
    parser.add_argument("--rpm", type=int, default=None, help="requests per window before 429")
    parser.add_argument("--window", type=float, default=60.0, help="rate-limit window in seconds")
    parser.add_argument("--api-key", default=None, help="the only key accepted (default: any)")
    parser.add_argument("--no-validate-responses", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    server = OpenAIServer(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        latency_s=args.latency,
        rate_limit_rpm=args.rpm,
        rate_limit_window_s=args.window,
        validate_responses=not args.no_validate_responses,
    )
    done = threading.Event()

    def stop(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.start()
    print(server.url, flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
