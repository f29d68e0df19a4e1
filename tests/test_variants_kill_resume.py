"""Exactly once, nothing lost: a real CLI run against the loopback OpenAI server is killed with SIGKILL once
some variants have finished, then resumed. No variant is requested again after it succeeded, the finished
files are left alone, and the final manifest lists every variant as accepted.

The subprocess runs the real ``brandkit variants`` command through a tiny launcher
(``tests/support/variants.py``) that swaps in a light check set (palette, technical, moderation): OCR costs
seconds per image and this test is about the journal, not the checks.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from brandkit.variants import dry_run, read_journal, replay
from tests.support.openai_server import OpenAIServer
from tests.support.variants import cli_command, cli_env

ROOT = Path(__file__).resolve().parents[1]


def _plan(folder: Path) -> Path:
    data: dict[str, Any] = {
        "name": "kill-resume",
        "spec": str(ROOT / "brand_specs" / "northwind"),
        "base": {
            "brief": "A ceramic cup of coffee on an oak table",
            "cta": "Order ahead",
            "text": "render",  # the copy is quoted in the prompt, so each request names its variant
            "logo": "overlay",
            "policies": {"palette": "warn"},
        },
        "axes": {
            "headline": ["Slow mornings", "Roasted this week", "Meet the roasters", "Fresh every day", "Single origin"],
            "format": ["square", "landscape"],
        },
    }
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _command(folder: Path, plan: Path, out: Path, *extra: str) -> list[str]:
    return cli_command(folder, plan, out, "--concurrency", "2", *extra)


def _succeeded(out: Path) -> set[str]:
    records, _ = read_journal(out / "journal.jsonl")
    return {key for key, state in replay(records).variants.items() if state.status == "succeeded"}


@pytest.mark.slow
def test_sigkill_midway_then_resume_pays_once_and_loses_nothing(tmp_path: Path, openai_server: OpenAIServer) -> None:
    openai_server.latency_s = 0.2
    openai_server.allow_invalid = True  # a request cut off by the kill arrives truncated; checked below
    plan = _plan(tmp_path)
    out = tmp_path / "out"
    env = cli_env(openai_server)
    prompts = {row.prompt: row.variant.key for row in dry_run(plan).variants}
    assert len(prompts) == 10

    # 1. run, and kill -9 once some variants are finished (the journal says so and their files exist)
    first = subprocess.Popen(_command(tmp_path, plan, out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    finished: set[str] = set()
    while time.monotonic() < deadline and first.poll() is None:
        if (out / "journal.jsonl").exists():
            finished = _succeeded(out)
            if len(finished) >= 3:
                break
        time.sleep(0.05)
    assert first.poll() is None, f"the run ended before it could be killed: {first.communicate()}"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert first.returncode == -signal.SIGKILL
    time.sleep(0.3)  # let the server note any request that was in flight
    finished = _succeeded(out)
    assert 3 <= len(finished) < 10, "the kill should land midway"
    records, _ = read_journal(out / "journal.jsonl")
    assert not any(r["event"] == "run_finished" for r in records)
    before_resume = len(openai_server.records("/images/generations"))
    images = {
        key: (out / state.files["image"]).stat().st_mtime_ns
        for key, state in replay(records).variants.items()
        if key in finished
    }

    # 2. resume: only what was not finished is made
    second = subprocess.run(_command(tmp_path, plan, out, "--resume"), env=env, capture_output=True, timeout=120)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    result = json.loads(second.stdout)
    assert result["ok"] is True and result["summary"]["succeeded"] == 10 and result["summary"]["sessions"] == 2

    records = openai_server.records("/images/generations")
    cut = [i for i, r in enumerate(records) if r.validation_errors]
    assert len(cut) <= 2 and all(i < before_resume for i in cut), "only requests cut off by the kill may be broken"
    requested = [prompts[r.fields["prompt"]] for r in records if not r.validation_errors]
    before_resume -= len(cut)
    assert set(requested) == set(prompts.values())  # every request maps to a variant of the plan
    after_kill = requested[before_resume:]
    assert not set(after_kill) & finished, "a variant was requested again after it had succeeded"
    counts = Counter(requested)
    assert all(counts[key] == 1 for key in finished)
    redone = {key for key, n in counts.items() if n > 1}
    assert len(requested) == 10 + len(redone)  # only variants cut short by the kill were paid twice

    for key, mtime in images.items():  # finished files were not rewritten
        state = replay(read_journal(out / "journal.jsonl")[0]).variants[key]
        assert (out / state.files["image"]).stat().st_mtime_ns == mtime

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["variants"]) == 10
    assert {v["key"] for v in manifest["variants"]} == set(prompts.values())
    assert all(v["status"] == "succeeded" and (out / v["files"]["image"]).is_file() for v in manifest["variants"])
    assert all(v["runs"] == 1 for v in manifest["variants"] if v["key"] in finished)
