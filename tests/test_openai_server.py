"""The loopback OpenAI server itself: it validates against the official OpenAI API description
in ``<project>/../shared/contracts/`` (so its validation can fail), answers inside that contract,
records requests, injects faults, handles concurrency and runs from the shell.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PIL import Image

from tests.support.openai_plugin import FAKE_API_KEY, png_bytes, served_from_shell
from tests.support.openai_server import (
    CONTRACTS_DIR,
    FAULT_KINDS,
    Contract,
    Exchange,
    OpenAIServer,
    Reply,
    render_image,
)

AUTH = {"Authorization": f"Bearer {FAKE_API_KEY}"}


def post_json(server: OpenAIServer, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.post(server.url + path, json=body, headers=AUTH if headers is None else headers, timeout=10)


# -- the contract -----------------------------------------------------------------------------


def test_contract_is_the_official_description_beside_the_project(openai_spec: Contract) -> None:
    project = Path(__file__).resolve().parents[1]
    assert project.parent / "shared" / "contracts" == CONTRACTS_DIR
    assert openai_spec.source == CONTRACTS_DIR / "openai-openapi.json"
    assert openai_spec.document["openapi"].startswith("3.")
    assert openai_spec.host_url == "https://api.openai.com" and openai_spec.base_path == "/v1"
    for method, path in (
        ("post", "/images/generations"),
        ("post", "/images/edits"),
        ("post", "/moderations"),
    ):
        assert openai_spec.operation(method, path) is not None


def test_json_contract_matches_the_yaml_contract(openai_spec: Contract) -> None:
    """The JSON we load for speed has the same content as the official YAML (compared on our operations)."""
    yaml = pytest.importorskip("yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (CONTRACTS_DIR / "openai-openapi.yaml").open("rb") as handle:
        official = yaml.load(handle, Loader=loader)
    for path in ("/images/generations", "/images/edits", "/moderations"):
        assert official["paths"][path] == openai_spec.document["paths"][path]
    schemas = official["components"]["schemas"]
    names = ["CreateImageRequest", "CreateImageEditRequest", "ImagesResponse", "ImageGenUsage"]
    names += ["CreateModerationRequest", "CreateModerationResponse", "ErrorResponse", "Error"]
    for name in names:
        assert schemas[name] == openai_spec.document["components"]["schemas"][name], name


# -- valid traffic conforms; invalid traffic is flagged ---------------------------------------


def test_conformant_requests_have_no_validation_errors(openai_server: OpenAIServer) -> None:
    response = post_json(
        openai_server,
        "/images/generations",
        {"model": "gpt-image-2", "prompt": "a cat", "size": "1536x864", "n": 2, "quality": "low"},
    )
    assert response.status_code == 200
    files = [
        ("image[]", ("a.png", png_bytes(), "image/png")),
        ("image[]", ("b.png", png_bytes(), "image/png")),
    ]
    data = {"model": "gpt-image-2", "prompt": "edit", "n": "1", "size": "1024x1024"}
    response = httpx2.post(openai_server.url + "/images/edits", data=data, files=files, headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    records = openai_server.records()
    assert [record.validation_errors for record in records] == [[], []]
    assert records[1].fields["n"] == 1  # multipart text converted to the contract's integer type
    assert [item["filename"] for item in records[1].image_files] == ["a.png", "b.png"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"model": "gpt-image-2", "prompt": "x", "n": "two"}, "'two' is not of type 'integer'"),
        ({"model": "gpt-image-2"}, "'prompt' is a required property"),
        ({"prompt": "x", "quality": "ultra"}, "'ultra' is not one of"),
        ({"prompt": "x", "n": 11}, "11 is greater than the maximum of 10"),
    ],
)
def test_invalid_json_request_is_flagged(openai_server: OpenAIServer, body: dict[str, Any], fragment: str) -> None:
    openai_server.allow_invalid = True
    response = post_json(openai_server, "/images/generations", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and fragment in error["message"]
    record = openai_server.records()[0]
    assert any(fragment in problem for problem in record.validation_errors), record.validation_errors
    assert record.response_errors == []  # the 400 itself conforms to ErrorResponse


def test_invalid_multipart_request_is_flagged(openai_server: OpenAIServer) -> None:
    openai_server.allow_invalid = True
    files = [("image[]", (f"{i}.png", png_bytes(16, 16), "image/png")) for i in range(17)]
    data = {"model": "gpt-image-2", "prompt": "edit", "n": "many"}
    response = httpx2.post(openai_server.url + "/images/edits", data=data, files=files, headers=AUTH, timeout=10)
    assert response.status_code == 400
    problems = openai_server.records()[0].validation_errors
    assert any("'many' is not of type 'integer'" in problem for problem in problems), problems
    assert any("image" in problem for problem in problems), problems  # 17 > maxItems 16


def test_edit_without_image_is_flagged(openai_server: OpenAIServer) -> None:
    openai_server.allow_invalid = True
    files = {"mask": ("m.png", png_bytes())}
    response = httpx2.post(openai_server.url + "/images/edits", data={"prompt": "p"}, files=files, headers=AUTH)
    assert response.status_code == 400
    assert any("'image' is a required property" in p for p in openai_server.records()[0].validation_errors)


def test_missing_authorization_is_flagged(openai_server: OpenAIServer) -> None:
    openai_server.allow_invalid = True
    response = post_json(openai_server, "/images/generations", {"prompt": "x"}, headers={})
    assert response.status_code == 401
    record = openai_server.records()[0]
    assert not record.authorized and "Authorization" in record.validation_errors[0]


def test_moderation_accepts_one_image_only(openai_server: OpenAIServer) -> None:
    url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    item = {"type": "image_url", "image_url": {"url": url}}
    response = post_json(openai_server, "/moderations", {"model": "omni-moderation-latest", "input": [item, item]})
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_many_images"
    assert openai_server.records()[0].validation_errors == []  # valid per contract, refused like the real service


def test_unknown_route_is_404(openai_server: OpenAIServer) -> None:
    openai_server.allow_invalid = True
    assert post_json(openai_server, "/nope", {}).status_code == 404
    assert openai_server.records()[0].validation_errors


def test_expected_api_key(openai_spec: Contract) -> None:
    with OpenAIServer(contract=openai_spec, api_key="sk-right-key-123456") as server:
        wrong = post_json(server, "/images/generations", {"prompt": "x"})
        right = post_json(
            server, "/images/generations", {"prompt": "x"}, {"Authorization": "Bearer sk-right-key-123456"}
        )
    assert wrong.status_code == 401 and FAKE_API_KEY not in wrong.text
    assert right.status_code == 200


# -- responses conform and carry real images --------------------------------------------------


@pytest.mark.parametrize(
    ("size", "fmt", "background"),
    [("1024x1024", "png", "transparent"), ("1536x864", "jpeg", None), ("1024x1536", "webp", "opaque")],
)
def test_image_responses_conform_and_decode(
    openai_server: OpenAIServer, openai_spec: Contract, size: str, fmt: str, background: str | None
) -> None:
    body: dict[str, Any] = {"model": "gpt-image-2", "prompt": "p", "size": size, "output_format": fmt, "n": 2}
    if background:
        body["background"] = background
    response = post_json(openai_server, "/images/generations", body)
    assert response.status_code == 200
    errors = openai_spec.validate_response(
        "post", "/images/generations", 200, "application/json", dict(response.headers), response.content
    )
    assert errors == []
    payload = response.json()
    width, height = (int(part) for part in size.split("x"))
    for item in payload["data"]:
        with Image.open(io.BytesIO(base64.b64decode(item["b64_json"]))) as image:
            assert (image.width, image.height, (image.format or "").lower()) == (width, height, fmt)
            if background == "transparent":
                assert "A" in image.getbands()
    assert payload["usage"]["output_tokens"] > 0
    assert response.headers["x-request-id"].startswith("req_")
    assert int(response.headers["x-ratelimit-remaining-requests"]) > 0
    assert openai_server.records()[0].response_errors == []


def test_moderation_response_conforms(openai_server: OpenAIServer, openai_spec: Contract) -> None:
    openai_server.moderation_scores = {"sexual": 0.9}
    url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    items = [{"type": "text", "text": "t"}, {"type": "image_url", "image_url": {"url": url}}]
    body = {"model": "omni-moderation-latest", "input": items}
    response = post_json(openai_server, "/moderations", body)
    errors = openai_spec.validate_response(
        "post", "/moderations", 200, "application/json", dict(response.headers), response.content
    )
    assert errors == []
    result = response.json()["results"][0]
    assert result["flagged"] is True and result["categories"]["sexual"] is True
    assert result["category_applied_input_types"]["sexual"] == ["text", "image"]
    assert result["category_applied_input_types"]["hate"] == ["text"]


def test_response_validation_can_fail(openai_spec: Contract) -> None:
    bad = json.dumps({"created": "yesterday", "data": [{"b64_json": 5}]}).encode()
    errors = openai_spec.validate_response("post", "/images/generations", 200, "application/json", {}, bad)
    assert any("created" in error for error in errors) and any("b64_json" in error for error in errors)
    assert openai_spec.validate_response("post", "/moderations", 429, "application/json", {}, b'{"error": 1}')


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS - {"reset", "slow", "malformed_json"}))
def test_fault_answers_conform(openai_server: OpenAIServer, kind: str) -> None:
    openai_server.inject(kind)
    response = post_json(openai_server, "/images/generations", {"prompt": "p", "model": "gpt-image-2"})
    record = openai_server.records()[0]
    assert record.fault == kind and record.status == response.status_code
    assert record.response_errors == []
    if response.status_code >= 400:
        assert response.json()["error"]["message"]


# -- bookkeeping ------------------------------------------------------------------------------


def test_records_count_reset_and_fault_queue(openai_server: OpenAIServer) -> None:
    assert openai_server.url.startswith("http://127.0.0.1:") and openai_server.url.endswith("/v1")
    openai_server.inject("server_error", times=2, path="/moderations")
    openai_server.inject("overloaded")
    assert openai_server.pending_faults() == [("server_error", 2, "/moderations"), ("overloaded", 1, None)]
    assert post_json(openai_server, "/images/generations", {"prompt": "p"}).status_code == 503
    assert post_json(openai_server, "/images/generations", {"prompt": "p"}).status_code == 200
    assert openai_server.count() == 2 and openai_server.count("/v1/images/generations") == 2
    assert openai_server.count("/moderations") == 0
    openai_server.reset()
    assert openai_server.count() == 0 and openai_server.pending_faults() == []
    with pytest.raises(ValueError, match="unknown fault"):
        openai_server.inject("meteor")


def test_routes_can_be_added_with_path_parameters(openai_server: OpenAIServer) -> None:
    seen: dict[str, str] = {}

    def retrieve(server: OpenAIServer, exchange: Exchange) -> Reply:
        seen.update(exchange.path_params)
        return Reply(body={"id": exchange.path_params["batch_id"], "object": "batch"}, validate=False)

    openai_server.add_route("GET", "/batches/{batch_id}", retrieve)
    response = httpx2.get(openai_server.url + "/batches/batch_123", headers=AUTH, timeout=10)
    assert response.status_code == 200 and seen == {"batch_id": "batch_123"}
    record = openai_server.records()[0]
    assert record.route == "/batches/{batch_id}" and record.validation_errors == []
    openai_server.allow_invalid = True
    assert httpx2.delete(openai_server.url + "/batches/batch_123", headers=AUTH, timeout=10).status_code == 405


def test_records_keep_no_image_bytes_and_no_key(openai_server: OpenAIServer) -> None:
    image = png_bytes(128, 128)
    url = "data:image/png;base64," + base64.b64encode(image).decode()
    post_json(openai_server, "/moderations", {"input": [{"type": "image_url", "image_url": {"url": url}}]})
    files = {"image": ("x.png", image, "image/png")}
    httpx2.post(openai_server.url + "/images/edits", data={"prompt": "p"}, files=files, headers=AUTH, timeout=10)
    dumped = repr(openai_server.records())
    assert base64.b64encode(image).decode()[:40] not in dumped
    assert FAKE_API_KEY not in dumped
    assert openai_server.records()[1].image_files[0]["size"] == len(image)


def test_render_image_is_cached_and_real() -> None:
    first = render_image(1024, 640, "webp")
    assert first is render_image(1024, 640, "webp")
    assert first[:4] == b"RIFF"


# -- concurrency, latency, rate limit ---------------------------------------------------------


def test_sixty_concurrent_connections(openai_spec: Contract) -> None:
    body = {"model": "gpt-image-2", "prompt": "p", "size": "1024x1024", "quality": "low"}
    barrier = threading.Barrier(60)
    limits = httpx2.Limits(max_connections=100, max_keepalive_connections=100)
    with (
        OpenAIServer(contract=openai_spec, latency_s=0.3, validate_responses=False) as server,
        httpx2.Client(limits=limits, timeout=10) as client,
    ):

        def one(_: int) -> int:
            barrier.wait(timeout=10)
            return client.post(server.url + "/images/generations", json=body, headers=AUTH).status_code

        with ThreadPoolExecutor(max_workers=60) as pool:
            statuses = list(pool.map(one, range(60)))
    assert statuses == [200] * 60
    # served in parallel: many requests were being answered at the same moment (counted from the server's own
    # start/finish order, not timed: a loaded machine is slower, not less parallel)
    marks = sorted([(r.started, 1) for r in server.records()] + [(r.finished or 0.0, -1) for r in server.records()])
    in_flight = peak = 0
    for _, step in marks:
        in_flight += step
        peak = max(peak, in_flight)
    assert peak >= 10, peak
    assert all(record.elapsed_s is not None and record.elapsed_s >= 0.3 for record in server.records())
    assert all(record.validation_errors == [] for record in server.records())


def test_rate_limit_window(openai_spec: Contract) -> None:
    with OpenAIServer(contract=openai_spec, rate_limit_rpm=3, rate_limit_window_s=0.5) as server:
        statuses = [post_json(server, "/images/generations", {"prompt": "p"}).status_code for _ in range(4)]
        limited = server.records()[-1]
        assert statuses == [200, 200, 200, 429]
        response = post_json(server, "/images/generations", {"prompt": "p"})
        assert response.status_code == 429
        assert 0 < int(response.headers["retry-after-ms"]) <= 500
        assert response.json()["error"]["code"] == "rate_limit_exceeded"
        time.sleep(int(response.headers["retry-after-ms"]) / 1000 + 0.02)
        assert post_json(server, "/images/generations", {"prompt": "p"}).status_code == 200
    assert limited.fault == "rate_limit_window"


# -- command line -----------------------------------------------------------------------------


def test_runs_from_the_shell() -> None:
    with served_from_shell() as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        response = httpx2.post(url + "/images/generations", json={"prompt": "p"}, headers=AUTH, timeout=10)
        assert response.status_code == 200
