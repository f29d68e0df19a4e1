"""Parameters a model or endpoint does not take are refused or noted, never dropped silently (issue 11 item 7).

Against the loopback server (which validates every request against the OpenAI API description): what is
sent, what is refused before anything is sent (a ``LocalParameterError`` naming the parameter, the model and
the endpoint), and what is left out with a logged note. The table is in ``docs/openai.md``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

import brandkit
from brandkit.models import RenderCall, RenderResult
from brandkit.provider.openai import LocalParameterError, OpenAIProvider, plan_render
from brandkit.provider.openai_batch import OpenAIBatchProvider, batch_line
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY, edit_call, generate_call
from tests.support.openai_server import OpenAIServer

MODES = pytest.mark.parametrize("mode", ["sync", "async"])
QUICK_BATCH = {"poll_interval_s": 0.0, "max_poll_interval_s": 0.05, "gather_s": 0.1}


def provider_for(server: OpenAIServer, **options: Any) -> OpenAIProvider:
    return OpenAIProvider(api_key=FAKE_API_KEY, base_url=server.url, retry=FAST_RETRY, **options)


async def render(provider: OpenAIProvider, call: RenderCall, mode: str) -> RenderResult:
    return provider.render(call) if mode == "sync" else await provider.arender(call)


# --- refused before sending ------------------------------------------------------------------------------------

REFUSED = [
    pytest.param(
        edit_call, {"moderation": "low"}, "moderation", ("gpt-image-2", "images.edit"), id="moderation-on-edit"
    ),
    pytest.param(
        generate_call,
        {"input_fidelity": "high"},
        "input_fidelity",
        ("gpt-image-2", "images.generate", "no input image"),
        id="fidelity-on-generate",
    ),
    pytest.param(
        edit_call,
        {"input_fidelity": "low"},
        "input_fidelity",
        ("gpt-image-2", "images.edit", "always processes input images at high fidelity"),
        id="low-fidelity-on-gpt-image-2",
    ),
    pytest.param(
        edit_call,
        {"input_fidelity": "high", "model": "gpt-image-1-mini"},
        "input_fidelity",
        ("gpt-image-1-mini", "images.edit"),
        id="high-fidelity-on-mini",
    ),
    pytest.param(generate_call, {"model": "dall-e-3"}, "model", ("dall-e-3", "retired", "gpt-image-2"), id="dall-e-3"),
    pytest.param(edit_call, {"model": "dall-e-2"}, "model", ("dall-e-2", "retired"), id="dall-e-2"),
    pytest.param(generate_call, {"moderation": "strict"}, "moderation", ("low, auto",), id="unknown-moderation"),
]


@MODES
@pytest.mark.parametrize(("make", "params", "field", "named"), REFUSED)
async def test_unsupported_parameters_are_refused_before_anything_is_sent(
    mode: str, make: Any, params: dict[str, Any], field: str, named: tuple[str, ...], openai_server: OpenAIServer
) -> None:
    provider = provider_for(openai_server)
    with pytest.raises(LocalParameterError) as info:
        await render(provider, make(**params), mode)
    assert info.value.field == field and info.value.code == "local_validation"
    assert f"invalid {field}=" in str(info.value)
    for word in named:
        assert word in str(info.value)
    assert "nothing was sent" in str(info.value)
    assert openai_server.records() == []


# --- left out with a note --------------------------------------------------------------------------------------

NOTED = [
    pytest.param(edit_call, {"moderation": "auto"}, "moderation", "moderation='auto' not sent", id="auto-moderation"),
    pytest.param(
        edit_call, {"input_fidelity": "high"}, "input_fidelity", "input_fidelity='high' not sent", id="high-on-2"
    ),
    pytest.param(
        edit_call,
        {"input_fidelity": "low", "model": "gpt-image-1-mini"},
        "input_fidelity",
        "input_fidelity='low' not sent",
        id="low-on-mini",
    ),
]


@MODES
@pytest.mark.parametrize(("make", "params", "field", "note"), NOTED)
async def test_harmless_defaults_are_left_out_with_a_logged_note(
    mode: str,
    make: Any,
    params: dict[str, Any],
    field: str,
    note: str,
    openai_server: OpenAIServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="brandkit.provider.openai")
    call = make(**params)
    assert any(note in line for line in plan_render(call).notes)
    await render(provider_for(openai_server), call, mode)
    record = openai_server.records("/images/edits")[0]
    assert record.validation_errors == [] and field not in record.fields
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(note in message and "images.edit" in message for message in warnings), warnings
    result = await render(provider_for(openai_server), call, mode)
    assert any(note in line for line in result.notes)  # recorded on the result, not only logged


# --- sent ------------------------------------------------------------------------------------------------------


@MODES
async def test_supported_parameters_are_sent(mode: str, openai_server: OpenAIServer) -> None:
    provider = provider_for(openai_server, safety_identifier="user-hash-1")
    await render(provider, generate_call(moderation="low", user="end-user-7"), mode)
    await render(provider, edit_call(model="gpt-image-1", input_fidelity="low"), mode)
    await render(provider, edit_call(model="gpt-image-1.5", input_fidelity="high", user="end-user-8"), mode)
    generate, edit_1, edit_15 = openai_server.records()
    assert generate.fields["moderation"] == "low" and generate.fields["user"] == "end-user-7"
    assert generate.fields["safety_identifier"] == "user-hash-1"
    assert edit_1.fields["input_fidelity"] == "low" and edit_15.fields["input_fidelity"] == "high"
    assert edit_15.fields["safety_identifier"] == "user-hash-1" and edit_15.fields["user"] == "end-user-8"
    assert all(record.validation_errors == [] for record in openai_server.records())


# --- the Batch API's JSON forms ---------------------------------------------------------------------------------


def test_batch_plans_follow_the_json_forms() -> None:
    edit = plan_render(edit_call(moderation="low", safety_identifier="user-hash-2"), transport="batch")
    endpoint, body = batch_line(edit, _file_ids(edit))
    assert endpoint == "/v1/images/edits" and body["moderation"] == "low" and body["user"] == "user-hash-2"
    assert "safety_identifier" not in body
    assert any("safety_identifier sent as user" in note for note in edit.notes)
    generate = plan_render(generate_call(safety_identifier="user-hash-3"), transport="batch")
    assert batch_line(generate, {})[1]["user"] == "user-hash-3" and "safety_identifier" not in generate.kwargs
    with pytest.raises(LocalParameterError, match="user is already set to another value"):
        plan_render(generate_call(safety_identifier="a-1", user="b-2"), transport="batch")


def _file_ids(plan: Any) -> dict[str, str]:
    import hashlib

    images = list(plan.kwargs.get("image", [])) + ([plan.kwargs["mask"]] if "mask" in plan.kwargs else [])
    return {hashlib.sha256(data).hexdigest(): f"file-{i}" for i, (_, data, _) in enumerate(images)}


async def test_batch_sends_moderation_on_edits_and_the_end_user_id_as_user(
    tmp_path: Path, openai_server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="brandkit.provider.openai")
    api = provider_for(openai_server, safety_identifier="user-hash-4", timeout=20.0)
    batch = OpenAIBatchProvider(api, work_dir=tmp_path / "batch", **QUICK_BATCH)
    try:
        calls = [edit_call(moderation="low"), generate_call(size="1024x1024", moderation="low")]
        results = await asyncio.wait_for(asyncio.gather(*(batch.arender(call) for call in calls)), 60)
    finally:
        await batch.aclose()
    assert [len(result.images) for result in results] == [1, 1]
    stored = sorted(openai_server.batches.values(), key=lambda item: item.seq)
    assert all(item.problems == [] for item in stored)
    bodies = {item.endpoint: line.body for item in stored for line in item.lines}
    assert bodies["/v1/images/edits"]["moderation"] == "low" and bodies["/v1/images/generations"]["moderation"] == "low"
    assert all(body["user"] == "user-hash-4" and "safety_identifier" not in body for body in bodies.values())
    assert any("safety_identifier sent as user" in r.getMessage() for r in caplog.records)


# --- spec settings through the SDK ------------------------------------------------------------------------------


def test_spec_moderation_low_on_a_reference_edit_is_refused_not_dropped(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer
) -> None:
    spec = northwind.model_copy(update={"generation": northwind.generation.model_copy(update={"moderation": "low"})})
    kit = brandkit.BrandKit(spec, provider="openai", api_key=FAKE_API_KEY, base_url=openai_server.url, retry=FAST_RETRY)
    request = brandkit.AssetRequest(brief="A ceramic cup of coffee", headline="Slow mornings", logo="reference")
    prompt = brandkit.compile(spec, request)
    assert prompt.operation == "edit" and prompt.params["moderation"] == "low"
    with pytest.raises(LocalParameterError, match="images.edit") as info:
        kit.generate(request)
    assert info.value.field == "moderation"
    assert openai_server.count("/images/edits") == 0 and openai_server.count("/images/generations") == 0
