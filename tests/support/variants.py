"""Helpers shared by the variant-runner tests: the light check set and a real ``brandkit variants`` CLI
subprocess pointed at the loopback OpenAI server."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from brandkit.checks.base import Check
from brandkit.checks.moderation import ModerationCheck
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.technical import TechnicalCheck
from brandkit.provider.retry import RetryPolicy
from tests.support.openai_plugin import FAKE_API_KEY
from tests.support.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(max_attempts=4, max_total_s=20.0, base_s=0.01, max_wait_s=1.0)
"""Small backoff so fault tests stay fast."""

LIGHT_CHECKS_LAUNCHER = textwrap.dedent(
    """
    import brandkit.kit
    from brandkit.checks.moderation import ModerationCheck
    from brandkit.checks.palette import PaletteCheck
    from brandkit.checks.technical import TechnicalCheck

    brandkit.kit.default_checks = lambda: [PaletteCheck(), TechnicalCheck(), ModerationCheck()]

    from brandkit.cli import app

    app(prog_name="brandkit")
    """
)
"""Runs the real CLI with the light check set (OCR costs seconds per image; these tests are about the runner)."""


def light_checks() -> list[Check]:
    """Palette (warns in the test plans), technical and moderation."""
    return [PaletteCheck(), TechnicalCheck(), ModerationCheck()]


def openai_options(server: OpenAIServer, **extra: Any) -> dict[str, Any]:
    """Keyword arguments of ``arun_variants`` for a run against ``server`` (light checks, no progress bar)."""
    return {
        "provider": "openai",
        "api_key": FAKE_API_KEY,
        "base_url": server.url,
        "retry": FAST,
        "timeout": 20.0,
        "progress": False,
        "checks": light_checks(),
        **extra,
    }


def cli_command(folder: Path, plan: Path, out: Path, *extra: str) -> list[str]:
    """``brandkit variants PLAN --out OUT --provider openai --json EXTRA…`` through the light-checks launcher
    (written into ``folder``)."""
    launcher = folder / "launch_brandkit.py"
    if not launcher.exists():
        launcher.write_text(LIGHT_CHECKS_LAUNCHER, encoding="utf-8")
    return [
        sys.executable,
        str(launcher),
        "variants",
        str(plan),
        "--out",
        str(out),
        "--provider",
        "openai",
        "--json",
        *extra,
    ]


def cli_env(server: OpenAIServer) -> dict[str, str]:
    """The environment of a CLI run against ``server`` (fake key, loopback base URL)."""
    return {**os.environ, "OPENAI_API_KEY": FAKE_API_KEY, "OPENAI_BASE_URL": server.url, "PYTHONPATH": str(ROOT)}
