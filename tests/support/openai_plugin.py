"""pytest fixtures and helpers for tests that talk to the loopback OpenAI server.

Register with ``pytest_plugins = ["tests.support.openai_plugin"]`` (``tests/conftest.py``).

Fixtures:

* ``openai_spec`` (session) – the official OpenAI API description from
  ``<project>/../shared/contracts/``, loaded once (:class:`Contract`).
* ``openai_server`` (function) – a started :class:`OpenAIServer` on 127.0.0.1
  validating against ``openai_spec``; stopped at teardown. The test fails at
  teardown if any request broke the contract, unless the test set
  ``openai_server.allow_invalid = True``.
* ``make_openai_provider`` (function) – a factory of :class:`OpenAIProvider`
  pointed at ``openai_server`` with a fake key and a fast retry policy.

Helpers: :func:`png_bytes`, :func:`make_prompt`, :func:`generate_call`,
:func:`edit_call`, :func:`served_from_shell`, :data:`FAKE_API_KEY`, :data:`FAST_RETRY`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from brandkit.layout import plan_layout
from brandkit.models import CompiledPrompt, ReferenceImage, RenderCall
from brandkit.provider.openai import OpenAIProvider
from brandkit.provider.retry import RetryPolicy
from tests.support.openai_server import Contract, OpenAIServer

FAKE_API_KEY = "sk-test-brandkit-LOOPBACK-0123456789abcdef"
"""A fake key: the loopback server accepts any bearer token; tests check it never leaks."""

FAST_RETRY = RetryPolicy(max_attempts=4, max_total_s=10.0, base_s=0.005, max_wait_s=0.5, jitter=True)
"""Tiny backoff so fault tests stay fast."""


def png_bytes(
    width: int = 64, height: int = 64, color: tuple[int, ...] = (200, 30, 30), *, alpha: bool = False
) -> bytes:
    """A small real PNG (RGBA when ``alpha``)."""
    mode = "RGBA" if alpha else "RGB"
    fill = tuple(color) + ((0,) if alpha and len(color) == 3 else ())
    buffer = io.BytesIO()
    Image.new(mode, (width, height), fill[: len(mode)]).save(buffer, "PNG")
    return buffer.getvalue()


def reference(index: int, role: Any, data: bytes, name: str | None = None, mime: str = "image/png") -> ReferenceImage:
    """A :class:`ReferenceImage` for ``data``."""
    return ReferenceImage(
        index=index,
        role=role,
        name=name or role,
        description=f"{role} reference",
        mime=mime,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def make_prompt(
    *,
    width: int = 1024,
    height: int = 1024,
    text: str = "A bright product poster for Acme, flat illustration, clear space top-left for copy.",
    references: list[ReferenceImage] | None = None,
    **params: Any,
) -> CompiledPrompt:
    """A :class:`CompiledPrompt` for gpt-image-2 (``params`` override the API parameters)."""
    api: dict[str, Any] = {
        "model": "gpt-image-2",
        "size": f"{width}x{height}",
        "quality": "low",
        "output_format": "png",
    }
    api.update(params)
    refs = list(references or [])
    return CompiledPrompt(
        text=text,
        operation="edit" if refs else "generate",
        params={key: value for key, value in api.items() if value is not None},
        references=refs,
        format_name="test",
        width=width,
        height=height,
        text_mode="render",
        logo_mode="reference",
        background_tone="light",
        background_hex="#FFFFFF",
        layout=plan_layout(width, height, placement=None, logo_px=None, clear_space=0.0, disclaimer_lines=0),
        spec_name="test-brand",
        spec_fingerprint="0" * 16,
    )


def generate_call(n: int = 1, **params: Any) -> RenderCall:
    """A generate call (no images)."""
    return RenderCall(prompt=make_prompt(**params), n=n)


def edit_call(n: int = 1, *, base_image: bytes | None = None, mask: bytes | None = None, **params: Any) -> RenderCall:
    """An edit call with two reference PNGs: Image 1 the logo, Image 2 the product (given out of order)."""
    logo = png_bytes(128, 128, (230, 20, 40))
    product = png_bytes(256, 192, (20, 120, 230))
    refs = [reference(2, "product", product, "product shot"), reference(1, "logo", logo, "acme logo")]
    return RenderCall(prompt=make_prompt(references=refs, **params), n=n, base_image=base_image, mask=mask)


@contextlib.contextmanager
def served_from_shell() -> Iterator[str]:
    """``python -m tests.support.openai_server --port 0`` in a child process; yields its base URL and checks
    that SIGTERM stops it cleanly (exit 0)."""
    project = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(project))
    command = [sys.executable, "-m", "tests.support.openai_server", "--port", "0"]
    with subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            yield process.stdout.readline().strip()
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0


@pytest.fixture(scope="session")
def openai_spec() -> Contract:
    """The official OpenAI API description (``<project>/../shared/contracts/``), loaded once per session."""
    return Contract.load()


@pytest.fixture
def openai_server(openai_spec: Contract) -> Iterator[OpenAIServer]:
    """A started loopback OpenAI server; fails the test at teardown on unexpected contract violations."""
    server = OpenAIServer(contract=openai_spec).start()
    try:
        yield server
    finally:
        server.stop()
    invalid = server.invalid_requests()
    if invalid and not server.allow_invalid:
        lines = [f"{item.method} {item.path}: {'; '.join(item.validation_errors)}" for item in invalid]
        pytest.fail("requests broke the OpenAI API description:\n" + "\n".join(lines))
    crashed = [item for item in server.records() if item.handler_error]
    if crashed:
        pytest.fail(
            "loopback routes crashed:\n" + "\n".join(f"{i.method} {i.path}: {i.handler_error}" for i in crashed)
        )
    bad_responses = [item for item in server.records() if item.response_errors]
    if bad_responses:
        lines = [f"{item.method} {item.path} -> {item.status}: {item.response_errors}" for item in bad_responses]
        pytest.fail("the loopback server answered outside the contract:\n" + "\n".join(lines))


@pytest.fixture
async def make_openai_provider(openai_server: OpenAIServer) -> AsyncIterator[Callable[..., OpenAIProvider]]:
    """Factory: ``make_openai_provider(**kwargs)`` → an :class:`OpenAIProvider` on the loopback server.

    The providers' clients (sync and async) are closed at teardown, in the test's event loop.
    """
    made: list[OpenAIProvider] = []

    def factory(**kwargs: Any) -> OpenAIProvider:
        kwargs.setdefault("api_key", FAKE_API_KEY)
        kwargs.setdefault("base_url", openai_server.url)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("timeout", 10.0)
        base_url = kwargs["base_url"]
        assert isinstance(base_url, str) and base_url.startswith("http://127.0.0.1:"), base_url
        provider = OpenAIProvider(**kwargs)
        made.append(provider)
        return provider

    yield factory
    for provider in made:
        await provider.aclose()
