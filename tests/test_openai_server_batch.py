"""The loopback server's Files and Batch endpoints, driven by the official ``openai`` client.

The server validates every request and response against the official OpenAI API description; the
``openai_server`` fixture fails a test on any violation (including problems in a batch input file)
unless the test sets ``allow_invalid``.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types import Batch
from PIL import Image

from tests.support import openai_plugin
from tests.support.openai_plugin import FAKE_API_KEY, png_bytes, served_from_shell
from tests.support.openai_server import (
    BATCH_FAULT_KINDS,
    BATCH_LINE_FAULT_KINDS,
    CONTRACTS_DIR,
    Contract,
    OpenAIServer,
    Reply,
)

GENERATIONS = "/v1/images/generations"
EDITS = "/v1/images/edits"
TERMINAL = ("completed", "failed", "expired", "cancelled")


# -- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def client(openai_server: OpenAIServer) -> Iterator[OpenAI]:
    """The official client on the loopback server, without retries."""
    with OpenAI(api_key=FAKE_API_KEY, base_url=openai_server.url, max_retries=0, timeout=10) as made:
        yield made


def jsonl(lines: list[Any]) -> bytes:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()


def gen_line(custom_id: str, **body: Any) -> dict[str, Any]:
    payload = {"model": "gpt-image-2", "prompt": f"poster {custom_id}", "quality": "low", **body}
    return {"custom_id": custom_id, "method": "POST", "url": GENERATIONS, "body": payload}


def edit_line(custom_id: str, images: list[dict[str, str]], **body: Any) -> dict[str, Any]:
    payload = {"model": "gpt-image-2", "prompt": f"edit {custom_id}", "images": images, **body}
    return {"custom_id": custom_id, "method": "POST", "url": EDITS, "body": payload}


def create_batch(client: OpenAI, lines: list[Any], endpoint: str = GENERATIONS, **kwargs: Any) -> Batch:
    uploaded = client.files.create(file=("requests.jsonl", jsonl(lines)), purpose="batch")
    return client.batches.create(
        input_file_id=uploaded.id,
        endpoint=endpoint,  # type: ignore[arg-type]
        completion_window="24h",
        **kwargs,
    )


def poll(client: OpenAI, batch: Batch, limit: int = 50) -> tuple[Batch, list[str]]:
    """Retrieve until the batch is terminal: (last batch, every status seen)."""
    seen: list[str] = []
    for _ in range(limit):
        batch = client.batches.retrieve(batch.id)
        seen.append(batch.status)
        if batch.status in TERMINAL:
            return batch, seen
    raise AssertionError(f"batch still {batch.status} after {limit} polls")


def read_jsonl(client: OpenAI, file_id: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in client.files.content(file_id).content.decode().splitlines()]


def decode(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def schema_errors(spec: Contract, name: str, instance: Any) -> list[str]:
    validator = spec.validator(f"/components/schemas/{name}")
    return [error.message for error in validator.iter_errors(instance)]


# -- the contract -----------------------------------------------------------------------------


def test_files_and_batch_contract_matches_the_yaml(openai_spec: Contract) -> None:
    """The JSON contract the server loads equals the official YAML on every Files/Batch operation it serves."""
    yaml = pytest.importorskip("yaml")
    with (CONTRACTS_DIR / "openai-openapi.yaml").open("rb") as handle:
        official = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for path in ("/files", "/files/{file_id}", "/files/{file_id}/content", "/batches", "/batches/{batch_id}"):
        assert official["paths"][path] == openai_spec.document["paths"][path], path
    assert (
        official["paths"]["/batches/{batch_id}/cancel"] == openai_spec.document["paths"]["/batches/{batch_id}/cancel"]
    )
    names = ["CreateFileRequest", "OpenAIFile", "DeleteFileResponse", "ListFilesResponse", "CreateBatchRequest"]
    names += ["Batch", "BatchRequestCounts", "BatchError", "ListBatchesResponse", "EditImageBodyJsonParam"]
    names += ["ImageRefParam", "CreateImageRequest", "ImagesResponse"]
    for name in names:
        assert official["components"]["schemas"][name] == openai_spec.document["components"]["schemas"][name], name


# -- files ------------------------------------------------------------------------------------


def test_upload_retrieve_download_list_delete(openai_server: OpenAIServer, client: OpenAI) -> None:
    requests = jsonl([gen_line("a")])
    image = png_bytes(48, 32, alpha=True)
    batch_file = client.files.create(
        file=("requests.jsonl", requests), purpose="batch", expires_after={"anchor": "created_at", "seconds": 7200}
    )
    image_file = client.files.create(file=("logo.png", image, "image/png"), purpose="vision")
    assert batch_file.id.startswith("file-") and len(batch_file.id) == len("file-") + 24
    assert int(batch_file.id[5:], 16) >= 0  # hex
    assert (batch_file.bytes, batch_file.filename, batch_file.purpose) == (len(requests), "requests.jsonl", "batch")
    assert batch_file.status == "processed" and batch_file.object == "file"
    assert batch_file.expires_at == batch_file.created_at + 7200
    assert image_file.expires_at is None  # only batch files expire by default
    assert openai_server.files[image_file.id].data == image
    assert openai_server.records("/files", method="POST")[1].files[0]["size"] == len(image)

    assert client.files.retrieve(image_file.id) == image_file
    assert client.files.content(image_file.id).content == image  # byte-exact, binary
    assert client.files.content(batch_file.id).content == requests

    listed = client.files.list()
    assert [item.id for item in listed.data] == [image_file.id, batch_file.id]  # newest first
    assert [item.id for item in client.files.list(order="asc").data] == [batch_file.id, image_file.id]
    assert [item.id for item in client.files.list(purpose="batch").data] == [batch_file.id]
    first_page = client.files.list(limit=1)
    assert [item.id for item in first_page.data] == [image_file.id] and first_page.has_more
    assert [item.id for item in first_page.get_next_page().data] == [batch_file.id]

    deleted = client.files.delete(batch_file.id)
    assert deleted.id == batch_file.id and deleted.deleted is True
    assert batch_file.id not in openai_server.files
    with pytest.raises(openai.NotFoundError) as info:
        client.files.retrieve(batch_file.id)
    error = info.value.body
    assert isinstance(error, dict)
    assert error["type"] == "invalid_request_error" and batch_file.id in error["message"]
    assert "param" in error and error["code"] is None
    with pytest.raises(openai.NotFoundError):
        client.files.content(batch_file.id)
    with pytest.raises(openai.NotFoundError):
        client.files.delete(batch_file.id)
    assert [item.id for item in client.files.list().data] == [image_file.id]
    assert openai_server.count("/files", method="POST") == 2
    assert openai_server.count("/files/{file_id}") == 4  # retrieve, delete, then both again (404)
    assert all(not item.response_errors for item in openai_server.records())


def test_upload_is_validated_against_the_contract(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.allow_invalid = True
    with pytest.raises(openai.BadRequestError, match="3600"):
        client.files.create(
            file=("r.jsonl", b"{}\n"), purpose="batch", expires_after={"anchor": "created_at", "seconds": 60}
        )
    with pytest.raises(openai.BadRequestError, match="is not one of"):
        client.files.create(file=("r.jsonl", b"{}\n"), purpose="pictures")  # type: ignore[arg-type]
    assert openai_server.files == {}
    assert len(openai_server.invalid_requests()) == 2


def test_batch_files_must_be_jsonl(openai_server: OpenAIServer, client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=("requests.txt", jsonl([gen_line("a")])), purpose="batch")
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "invalid_file_format"
    assert openai_server.files == {}
    assert openai_server.invalid_requests() == []  # valid per contract, refused like the real service


# -- a whole batch ----------------------------------------------------------------------------


def test_generations_batch_end_to_end(openai_server: OpenAIServer, openai_spec: Contract, client: OpenAI) -> None:
    sizes = {"small": "1024x1024", "wide": "1536x864", "tall": "1024x1536"}
    lines = [gen_line(custom_id, size=size) for custom_id, size in sizes.items()]
    lines[1]["body"]["background"] = "transparent"
    batch = create_batch(client, lines, metadata={"run": "nightly"})
    assert batch.id.startswith("batch_") and batch.status == "validating"
    assert batch.request_counts is not None and batch.request_counts.total == 0
    assert batch.expires_at == batch.created_at + 24 * 3600 and batch.metadata == {"run": "nightly"}
    assert batch.output_file_id is None and batch.error_file_id is None and batch.errors is None

    done, seen = poll(client, batch)
    assert seen == ["in_progress", "finalizing", "completed"]  # one stage per retrieval
    assert openai_server.count(f"/batches/{batch.id}") == 3
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (3, 3, 0)
    assert done.in_progress_at and done.finalizing_at and done.completed_at
    assert done.failed_at is None and done.cancelled_at is None and done.expired_at is None
    assert done.model == "gpt-image-2" and done.metadata == {"run": "nightly"}
    assert done.error_file_id is None and done.output_file_id is not None

    output_file = client.files.retrieve(done.output_file_id)
    assert output_file.purpose == "batch_output" and output_file.filename == f"{batch.id}_output.jsonl"
    output = read_jsonl(client, done.output_file_id)
    assert [line["custom_id"] for line in output] == list(sizes)
    assert len({line["id"] for line in output}) == 3
    usage_total = 0
    for line, (custom_id, size) in zip(output, sizes.items(), strict=True):
        assert line["id"].startswith("batch_req_") and line["error"] is None
        response = line["response"]
        assert response["status_code"] == 200 and response["request_id"].startswith("req_")
        assert schema_errors(openai_spec, "ImagesResponse", response["body"]) == []
        image = decode(response["body"]["data"][0]["b64_json"])
        assert image.format == "PNG" and f"{image.width}x{image.height}" == size, custom_id
        assert ("A" in image.getbands()) == (custom_id == "wide")
        usage_total += response["body"]["usage"]["total_tokens"]
    assert done.usage is not None and done.usage.total_tokens == usage_total > 0
    assert done.usage.input_tokens + done.usage.output_tokens == usage_total

    # Exactly what the synchronous endpoint answers for the same parameters (apart from the timestamp).
    sync = client.images.generate(**lines[1]["body"]).model_dump(exclude_none=True)
    batched = dict(output[1]["response"]["body"])
    assert {k: v for k, v in batched.items() if k != "created"} == {k: v for k, v in sync.items() if k != "created"}
    assert openai_server.batch_problems == []


def test_batch_lines_use_the_image_factory(openai_server: OpenAIServer, client: OpenAI) -> None:
    calls: list[dict[str, Any]] = []

    def factory(width: int, height: int, fmt: str, transparent: bool, params: Any) -> bytes:
        calls.append({"size": (width, height), "format": fmt, "prompt": params["prompt"]})
        return png_bytes(width, height, (10, 200, 30))

    openai_server.image_factory = factory
    openai_server.batch_polls_per_stage = 0
    done, _ = poll(client, create_batch(client, [gen_line("a", size="1024x1024", n=2)]))
    assert calls == [{"size": (1024, 1024), "format": "png", "prompt": "poster a"}]
    data = read_jsonl(client, done.output_file_id or "")[0]["response"]["body"]["data"]
    assert len(data) == 2
    assert decode(data[1]["b64_json"]).convert("RGB").getpixel((5, 5)) == (10, 200, 30)


def test_edits_batch_with_uploaded_file_ids(openai_server: OpenAIServer, openai_spec: Contract, client: OpenAI) -> None:
    logo = client.files.create(file=("logo.png", png_bytes(64, 64, (200, 0, 0)), "image/png"), purpose="vision")
    mask = client.files.create(file=("mask.png", png_bytes(64, 64, alpha=True), "image/png"), purpose="user_data")
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes(32, 32)).decode()
    lines = [
        edit_line(
            "with-mask",
            [{"file_id": logo.id}],
            mask={"file_id": mask.id},
            size="1024x1536",
            n=2,
            background="transparent",
        ),
        edit_line("two-refs", [{"file_id": logo.id}, {"image_url": data_url}], size="auto", output_format="webp"),
    ]
    done, seen = poll(client, create_batch(client, lines, endpoint=EDITS))
    assert seen[-1] == "completed" and done.request_counts is not None and done.request_counts.completed == 2
    first, second = read_jsonl(client, done.output_file_id or "")
    assert first["custom_id"] == "with-mask" and second["custom_id"] == "two-refs"
    for line in (first, second):
        assert schema_errors(openai_spec, "ImagesResponse", line["response"]["body"]) == []
    images = [decode(item["b64_json"]) for item in first["response"]["body"]["data"]]
    assert [(image.size, image.format, "A" in image.getbands()) for image in images] == [
        ((1024, 1536), "PNG", True)
    ] * 2
    webp = decode(second["response"]["body"]["data"][0]["b64_json"])
    assert webp.format == "WEBP" and webp.size == (1024, 1024)  # size "auto"
    assert first["response"]["body"]["usage"]["input_tokens_details"]["image_tokens"] == 323
    assert second["response"]["body"]["usage"]["input_tokens_details"]["image_tokens"] == 2 * 323
    assert openai_server.batch_problems == []


# -- failures ---------------------------------------------------------------------------------


def test_per_line_failures_land_in_the_error_file(
    openai_server: OpenAIServer, openai_spec: Contract, client: OpenAI
) -> None:
    openai_server.inject_batch_line("moderation_blocked", custom_id="blocked", stage="output", categories=["sexual"])
    openai_server.inject_batch_line("server_error", line=3)
    openai_server.inject_batch_line(
        "error", custom_id="bad", status=400, code="invalid_value", param="size", message="Invalid size."
    )
    openai_server.inject_batch_line("wrong_size", custom_id="shrunk", width=512, height=256)
    lines = [gen_line(custom_id, size="1024x1024") for custom_id in ("ok", "blocked", "crash", "bad", "shrunk")]
    done, _ = poll(client, create_batch(client, lines))
    assert done.status == "completed" and done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (5, 2, 3)
    output = read_jsonl(client, done.output_file_id or "")
    assert [line["custom_id"] for line in output] == ["ok", "shrunk"]
    assert decode(output[1]["response"]["body"]["data"][0]["b64_json"]).size == (512, 256)
    assert client.files.retrieve(done.error_file_id or "").filename == f"{done.id}_error.jsonl"
    errors = {line["custom_id"]: line for line in read_jsonl(client, done.error_file_id or "")}
    assert list(errors) == ["blocked", "crash", "bad"]
    for line in errors.values():
        assert line["error"] is None and line["id"].startswith("batch_req_")
        assert line["response"]["request_id"].startswith("req_")
        assert schema_errors(openai_spec, "ErrorResponse", line["response"]["body"]) == []
    blocked = errors["blocked"]["response"]
    assert blocked["status_code"] == 400 and blocked["body"]["error"]["code"] == "moderation_blocked"
    assert blocked["body"]["error"]["moderation_details"] == {"moderation_stage": "output", "categories": ["sexual"]}
    crash = errors["crash"]["response"]
    assert crash["status_code"] == 500 and crash["body"]["error"]["type"] == "server_error"
    bad = errors["bad"]["response"]["body"]["error"]
    assert errors["bad"]["response"]["status_code"] == 400
    assert bad == {
        "message": "Invalid size.",
        "type": "invalid_request_error",
        "param": "size",
        "code": "invalid_value",
    }
    # usage counts the successful lines only
    assert done.usage is not None
    assert done.usage.total_tokens == sum(line["response"]["body"]["usage"]["total_tokens"] for line in output)


def test_line_faults_are_used_up(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.inject_batch_line("server_error", custom_id="a")
    openai_server.batch_polls_per_stage = 0
    first, _ = poll(client, create_batch(client, [gen_line("a")]))
    second, _ = poll(client, create_batch(client, [gen_line("a")]))
    assert first.request_counts is not None and first.request_counts.failed == 1 and first.output_file_id is None
    assert second.request_counts is not None and second.request_counts.completed == 1
    assert second.error_file_id is None
    with pytest.raises(ValueError, match="exactly one of"):
        openai_server.inject_batch_line("server_error")
    with pytest.raises(ValueError, match="unknown batch line fault"):
        openai_server.inject_batch_line("reset", custom_id="a")
    with pytest.raises(ValueError, match="unknown batch fault"):
        openai_server.inject_batch("meteor")
    assert {"error", "moderation_blocked", "server_error"} <= BATCH_LINE_FAULT_KINDS
    assert {"expired", "failed"} == BATCH_FAULT_KINDS


def test_expired_batch_keeps_partial_results(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.inject_batch("expired", after_lines=2)
    done, seen = poll(client, create_batch(client, [gen_line(f"l{i}") for i in range(1, 5)]))
    assert seen == ["in_progress", "expired"]
    assert done.expired_at and done.finalizing_at is None and done.completed_at is None
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (4, 2, 2)
    assert [line["custom_id"] for line in read_jsonl(client, done.output_file_id or "")] == ["l1", "l2"]
    errors = read_jsonl(client, done.error_file_id or "")
    assert [line["custom_id"] for line in errors] == ["l3", "l4"]
    for line in errors:
        assert line["response"] is None and line["id"].startswith("batch_req_")
        assert line["error"]["code"] == "batch_expired" and line["error"]["message"]


def test_expired_before_any_line_ran(openai_server: OpenAIServer, client: OpenAI) -> None:
    batch = create_batch(client, [gen_line("a"), gen_line("b")])
    openai_server.inject_batch("expired", batch_id=batch.id)
    done, _ = poll(client, batch)
    assert done.status == "expired" and done.output_file_id is None
    assert [line["error"]["code"] for line in read_jsonl(client, done.error_file_id or "")] == ["batch_expired"] * 2


def test_forced_validation_failure(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.inject_batch("failed", code="token_limit_exceeded", message="Enqueued token limit reached.")
    done, seen = poll(client, create_batch(client, [gen_line("a")]))
    assert seen == ["failed"] and done.failed_at and done.in_progress_at is None
    assert done.errors is not None and done.errors.object == "list" and done.errors.data is not None
    [error] = done.errors.data
    assert (error.code, error.message, error.line) == ("token_limit_exceeded", "Enqueued token limit reached.", None)
    assert done.output_file_id is None and done.error_file_id is None
    assert openai_server.batch_problems == [] and openai_server.invalid_requests() == []  # not a client bug


def test_malformed_input_file_fails_the_batch(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.allow_invalid = True
    image = client.files.create(file=("logo.png", png_bytes()), purpose="vision")
    good = [{"file_id": image.id}]
    missing_body = edit_line("e10", good)
    del missing_body["body"]
    no_prompt = edit_line("e12", good)
    del no_prompt["body"]["prompt"]
    lines = [
        edit_line("e1", good),  # 1 fine
        edit_line("e1", good),  # 2 duplicate custom_id
        {**edit_line("e3", good), "url": GENERATIONS},  # 3 url mismatch
        edit_line("e4", [{"file_id": "file-000000000000000000000000"}]),  # 4 unknown file
        edit_line("e5", good, n=0),  # 5 schema: n below the minimum
        edit_line("e6", good, colour="red"),  # 6 unknown parameter
        '{"custom_id": "e7", "method": "POST"',  # 7 not JSON
        "",  # 8 blank: ignored
        {**edit_line("e9", good), "method": "GET"},  # 9 wrong method
        missing_body,  # 10 no body
        edit_line("e11", good, model="gpt-image-1"),  # 11 another model
        no_prompt,  # 12 required body field missing
    ]
    batch = create_batch(client, lines, endpoint=EDITS)
    assert batch.status == "validating"
    done, seen = poll(client, batch)
    assert seen == ["failed"] and done.failed_at
    assert done.output_file_id is None and done.error_file_id is None
    assert done.request_counts is not None and done.request_counts.total == 0
    assert done.errors is not None and done.errors.data is not None
    found = [(error.line, error.code, error.param) for error in done.errors.data]
    assert found == [
        (2, "duplicate_custom_id", "custom_id"),
        (3, "url_mismatch", "url"),
        (4, "file_not_found", "body.images[0].file_id"),
        (5, "invalid_value", "body.n"),
        (6, "unknown_parameter", "body.colour"),
        (7, "invalid_json_line", None),
        (9, "invalid_value", "method"),
        (10, "missing_required_parameter", "body"),
        (11, "model_mismatch", "body.model"),
        (12, "missing_required_parameter", "body.prompt"),
    ]
    assert all(error.message for error in done.errors.data)
    assert "line 1" in done.errors.data[0].message  # the duplicate names the first use
    # The same problems are public, and reported as contract violations of the batch creation.
    problems = openai_server.batch_problems
    assert [(item.line, item.code) for item in problems] == [(line, code) for line, code, _ in found]
    assert {item.batch_id for item in problems} == {batch.id}
    [invalid] = openai_server.invalid_requests()
    assert invalid.method == "POST" and invalid.endpoint == "/batches" and invalid.status == 200
    assert len(invalid.validation_errors) == len(found)
    assert "line 5 (custom_id 'e5')" in invalid.validation_errors[3]


@pytest.mark.parametrize(
    ("line", "code", "param"),
    [
        (gen_line("a", n=0), "invalid_value", "body.n"),
        (gen_line("a", quality="ultra"), "invalid_value", "body.quality"),
        (gen_line("a", colour="red"), "unknown_parameter", "body.colour"),
        ({**gen_line("a"), "priority": 1}, "unknown_parameter", "priority"),
        ({**gen_line("a"), "custom_id": 7}, "invalid_value", "custom_id"),
        ({**gen_line("a"), "body": "prompt"}, "invalid_value", "body"),
        ("[1, 2]", "invalid_json_line", None),
    ],
)
def test_single_bad_generation_line(
    openai_server: OpenAIServer, client: OpenAI, line: Any, code: str, param: str | None
) -> None:
    openai_server.allow_invalid = True
    done, _ = poll(client, create_batch(client, [gen_line("ok"), line]))
    assert done.status == "failed" and done.errors is not None and done.errors.data is not None
    assert [(error.line, error.code, error.param) for error in done.errors.data] == [(2, code, param)]
    assert len(openai_server.invalid_requests()) == 1


def test_empty_input_file_fails(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.allow_invalid = True
    done, _ = poll(client, create_batch(client, ["", "  "]))
    assert done.status == "failed" and done.errors is not None and done.errors.data is not None
    assert [(error.code, error.line) for error in done.errors.data] == [("empty_file", None)]


def test_the_fixture_fails_a_test_with_a_bad_batch_line(openai_spec: Contract) -> None:
    """Drive the real ``openai_server`` fixture: a contract-violating line fails the test at teardown."""
    fixture = openai_plugin.openai_server.__wrapped__(openai_spec)  # type: ignore[attr-defined]
    server = next(fixture)
    with OpenAI(api_key=FAKE_API_KEY, base_url=server.url, max_retries=0) as sdk:
        create_batch(sdk, [gen_line("a", n=0)])
    with pytest.raises(pytest.fail.Exception, match=r"POST /v1/batches: .*line 1 .*body\.n"):
        next(fixture)


def test_unknown_input_file_or_purpose_is_refused(openai_server: OpenAIServer, client: OpenAI) -> None:
    image = client.files.create(file=("logo.png", png_bytes()), purpose="vision")
    for file_id, code in (("file-nope", "file_not_found"), (image.id, "invalid_purpose")):
        with pytest.raises(openai.BadRequestError) as info:
            client.batches.create(input_file_id=file_id, endpoint=GENERATIONS, completion_window="24h")
        assert isinstance(info.value.body, dict)
        assert info.value.body["code"] == code and info.value.body["param"] == "input_file_id"
    assert openai_server.batches == {}


def test_endpoint_outside_the_contract_is_flagged(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.allow_invalid = True
    uploaded = client.files.create(file=("r.jsonl", jsonl([gen_line("a")])), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="is not one of"):
        client.batches.create(input_file_id=uploaded.id, endpoint="/v1/images/variations", completion_window="24h")  # type: ignore[arg-type]
    assert openai_server.batches == {} and len(openai_server.invalid_requests()) == 1


def test_unsupported_endpoint_fails_clearly(openai_server: OpenAIServer, client: OpenAI) -> None:
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-5"}}
    done, _ = poll(client, create_batch(client, [line], endpoint="/v1/chat/completions"))
    assert done.status == "failed" and done.errors is not None and done.errors.data is not None
    [error] = done.errors.data
    assert error.code == "unsupported_endpoint" and GENERATIONS in (error.message or "")
    assert openai_server.batch_problems == []  # a limit of the loopback server, not a client bug


def test_file_deleted_before_processing_fails_its_line(openai_server: OpenAIServer, client: OpenAI) -> None:
    image = client.files.create(file=("logo.png", png_bytes()), purpose="vision")
    batch = create_batch(client, [edit_line("gone", [{"file_id": image.id}])], endpoint=EDITS)
    client.files.delete(image.id)
    done, _ = poll(client, batch)
    assert done.status == "completed" and done.output_file_id is None
    [line] = read_jsonl(client, done.error_file_id or "")
    assert line["response"]["status_code"] == 400
    assert line["response"]["body"]["error"]["code"] == "file_not_found"
    assert line["response"]["body"]["error"]["param"] == "body.images[0].file_id"


# -- cancel, stages, listing ------------------------------------------------------------------


def test_cancel_while_validating(openai_server: OpenAIServer, client: OpenAI) -> None:
    batch = create_batch(client, [gen_line("a"), gen_line("b")])
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at
    assert client.batches.cancel(batch.id).status == "cancelling"  # idempotent
    done = client.batches.retrieve(batch.id)
    assert done.status == "cancelled" and done.cancelled_at and done.in_progress_at is None
    assert done.output_file_id is None and done.error_file_id is None
    assert done.request_counts is not None and done.request_counts.completed == 0
    assert client.batches.retrieve(batch.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="cancelled"):
        client.batches.cancel(batch.id)
    with pytest.raises(openai.NotFoundError):
        client.batches.cancel("batch_missing")
    assert openai_server.count("/batches/{batch_id}/cancel") == 4


def test_cancel_in_progress_keeps_partial_output(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.batch_polls_per_stage = 2
    batch = create_batch(client, [gen_line(f"l{i}") for i in range(1, 5)])
    seen = [client.batches.retrieve(batch.id) for _ in range(3)]
    assert [item.status for item in seen] == ["validating", "in_progress", "in_progress"]
    assert [item.request_counts.completed for item in seen if item.request_counts] == [0, 0, 2]
    assert client.batches.cancel(batch.id).status == "cancelling"
    done = client.batches.retrieve(batch.id)
    assert done.status == "cancelled" and done.finalizing_at is None
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (4, 2, 0)
    assert [line["custom_id"] for line in read_jsonl(client, done.output_file_id or "")] == ["l1", "l2"]
    assert done.error_file_id is None


def test_polls_per_stage(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.batch_polls_per_stage = 3
    batch = create_batch(client, [gen_line("a"), gen_line("b"), gen_line("c")])
    statuses: list[str] = []
    completed: list[int] = []
    for _ in range(9):
        current = client.batches.retrieve(batch.id)
        client.batches.list()  # listing never moves a batch on
        statuses.append(current.status)
        completed.append(current.request_counts.completed if current.request_counts else -1)
    assert statuses == ["validating"] * 2 + ["in_progress"] * 3 + ["finalizing"] * 3 + ["completed"]
    assert completed == [0, 0, 0, 1, 2, 3, 3, 3, 3]  # ceil(3 / 3) lines per in_progress retrieval
    assert client.batches.retrieve(batch.id).status == "completed"
    assert openai_server.count(f"/batches/{batch.id}") == 10

    openai_server.batch_polls_per_stage = 0
    quick = create_batch(client, [gen_line("d")])
    finished = client.batches.retrieve(quick.id)
    assert finished.status == "completed" and finished.output_file_id


def test_list_batches_newest_first_with_cursor(openai_server: OpenAIServer, client: OpenAI) -> None:
    made = [create_batch(client, [gen_line(f"b{i}")]).id for i in range(3)]
    page = client.batches.list(limit=2)
    assert [item.id for item in page.data] == [made[2], made[1]] and page.has_more
    rest = client.batches.list(limit=2, after=made[1])
    assert [item.id for item in rest.data] == [made[0]] and not rest.has_more
    assert [item.id for item in client.batches.list(limit=2)] == made[::-1]  # auto-paging follows the cursor
    assert all(item.status == "validating" for item in client.batches.list().data)
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")


# -- HTTP faults on the new routes ------------------------------------------------------------


def test_http_faults_on_batch_retrieve(openai_server: OpenAIServer, client: OpenAI) -> None:
    batch = create_batch(client, [gen_line("a")])
    openai_server.inject("server_error", path="/batches/{batch_id}")
    with pytest.raises(openai.InternalServerError):
        client.batches.retrieve(batch.id)
    openai_server.inject("rate_limit", path=f"/v1/batches/{batch.id}", retry_after_ms=1500)
    with pytest.raises(openai.RateLimitError) as info:
        client.batches.retrieve(batch.id)
    assert info.value.response.headers["retry-after-ms"] == "1500"
    openai_server.inject("reset", path="/batches/{batch_id}")
    with pytest.raises(openai.APIConnectionError):
        client.batches.retrieve(batch.id)
    assert openai_server.batches[batch.id].status == "validating"  # refused polls do not move it on
    openai_server.inject("malformed_json", path="/batches/{batch_id}")
    with pytest.raises(json.JSONDecodeError):  # the client cannot read a cut-off body
        client.batches.retrieve(batch.id)
    assert openai_server.batches[batch.id].status == "in_progress"  # answered (cut off): it moved on

    # With retries, the client gets through; each attempt is a recorded request.
    openai_server.inject("rate_limit", times=2, path="/batches/{batch_id}", retry_after_ms=5)
    assert client.with_options(max_retries=2).batches.retrieve(batch.id).status == "finalizing"
    records = openai_server.records(f"/batches/{batch.id}")
    assert [record.status for record in records] == [500, 429, None, 200, 429, 429, 200]
    assert [record.fault for record in records] == [
        "server_error",
        "rate_limit",
        "reset",
        "malformed_json",
        "rate_limit",
        "rate_limit",
        None,
    ]
    assert records[-1].headers.get("x-stainless-retry-count") == "2"


def test_slow_batch_retrieve_times_out(openai_server: OpenAIServer, client: OpenAI) -> None:
    batch = create_batch(client, [gen_line("a")])
    openai_server.inject("slow", path="/batches/{batch_id}", delay_s=1.0)
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.2).batches.retrieve(batch.id)
    [record] = openai_server.records(f"/batches/{batch.id}")
    assert record.fault == "slow"


def test_http_faults_on_files(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.inject("server_error", path="/files")
    with pytest.raises(openai.InternalServerError):
        client.files.create(file=("r.jsonl", b"{}\n"), purpose="batch")
    assert openai_server.files == {}
    stored = client.files.create(file=("logo.png", png_bytes()), purpose="vision")
    openai_server.inject("reset", path="/files/{file_id}/content")
    with pytest.raises(openai.APIConnectionError):
        client.files.content(stored.id)
    openai_server.inject("malformed_json", path=f"/files/{stored.id}/content")
    assert client.files.content(stored.id).content == png_bytes()[: len(png_bytes()) // 2]  # a cut-off download
    assert client.files.content(stored.id).content == png_bytes()
    openai_server.inject("overloaded", path="/files/{file_id}")
    with pytest.raises(openai.InternalServerError) as info:
        client.files.delete(stored.id)
    assert info.value.status_code == 503 and stored.id in openai_server.files
    assert openai_server.count("/files/{file_id}/content") == 3


# -- robustness -------------------------------------------------------------------------------


def test_concurrent_polls_process_each_line_once(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.batch_polls_per_stage = 2
    batch = create_batch(client, [gen_line(f"l{i}") for i in range(6)])
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: client.batches.retrieve(batch.id).status, range(16)))
    assert statuses.count("completed") == 16 - 5  # 6 polls finish it; the 6th and later see "completed"
    done = client.batches.retrieve(batch.id)
    assert done.request_counts is not None and done.request_counts.completed == 6
    assert [line["custom_id"] for line in read_jsonl(client, done.output_file_id or "")] == [f"l{i}" for i in range(6)]


def test_line_responses_are_validated(openai_spec: Contract) -> None:
    """A line answer outside ``ImagesResponse`` is reported on the retrieval that produced it."""
    with (
        OpenAIServer(contract=openai_spec) as server,
        OpenAI(api_key=FAKE_API_KEY, base_url=server.url, max_retries=0) as sdk,
    ):
        server.image_reply = lambda *args, **kwargs: Reply(body={"created": "yesterday", "data": [{"b64_json": 5}]})  # type: ignore[method-assign]
        server.batch_polls_per_stage = 0
        batch = create_batch(sdk, [gen_line("a")])
        sdk.batches.retrieve(batch.id)
        record = server.records(f"/batches/{batch.id}")[0]
    assert any("line 1 (a) ImagesResponse: created" in error for error in record.response_errors)
    assert any("b64_json" in error for error in record.response_errors)


async def test_async_client_runs_a_batch(openai_server: OpenAIServer) -> None:
    async with AsyncOpenAI(api_key=FAKE_API_KEY, base_url=openai_server.url, max_retries=0) as sdk:
        uploaded = await sdk.files.create(file=("r.jsonl", jsonl([gen_line("a", size="1536x1024")])), purpose="batch")
        batch = await sdk.batches.create(input_file_id=uploaded.id, endpoint=GENERATIONS, completion_window="24h")
        for _ in range(5):
            batch = await sdk.batches.retrieve(batch.id)
            if batch.status == "completed":
                break
        assert batch.status == "completed" and batch.output_file_id
        content = await sdk.files.content(batch.output_file_id)
    [line] = [json.loads(item) for item in content.content.decode().splitlines()]
    assert decode(line["response"]["body"]["data"][0]["b64_json"]).size == (1536, 1024)


def test_reset_clears_batch_faults_and_problems_but_keeps_files(openai_server: OpenAIServer, client: OpenAI) -> None:
    openai_server.allow_invalid = True
    poll(client, create_batch(client, [gen_line("a", n=0)]))
    openai_server.inject_batch("failed")
    openai_server.inject_batch_line("server_error", custom_id="b")
    assert openai_server.batch_problems
    openai_server.reset()
    assert openai_server.batch_problems == [] and openai_server.count() == 0
    assert len(openai_server.files) == 1 and len(openai_server.batches) == 1
    done, _ = poll(client, create_batch(client, [gen_line("b")]))
    assert done.status == "completed" and done.request_counts is not None and done.request_counts.failed == 0


def test_files_and_batches_served_from_the_shell() -> None:
    with served_from_shell() as url, OpenAI(api_key=FAKE_API_KEY, base_url=url, max_retries=0, timeout=10) as sdk:
        done, seen = poll(sdk, create_batch(sdk, [gen_line("a")]))
        assert seen == ["in_progress", "finalizing", "completed"]
        assert read_jsonl(sdk, done.output_file_id or "")[0]["custom_id"] == "a"
        listed = httpx2.get(url + "/files", headers={"Authorization": f"Bearer {FAKE_API_KEY}"}, timeout=10)
        assert listed.status_code == 200 and len(listed.json()["data"]) == 2


def test_ids_and_timestamps_are_well_formed(openai_server: OpenAIServer, client: OpenAI) -> None:
    before = int(time.time())
    openai_server.batch_polls_per_stage = 0
    done, _ = poll(
        client, create_batch(client, [gen_line("a")], output_expires_after={"anchor": "created_at", "seconds": 3600})
    )
    after = int(time.time())
    assert before <= done.created_at <= (done.completed_at or 0) <= after
    assert len(done.id) == len("batch_") + 32
    output = client.files.retrieve(done.output_file_id or "")
    assert output.expires_at == output.created_at + 3600  # output_expires_after applies to the result files
