"""The OpenAI Batch engine (``engine="openai-batch"`` / ``--engine openai-batch``) against the loopback server.

The server implements the Files and Batch endpoints of the official API description and validates every
request, and every line of every batch input file, against it (the ``openai_server`` fixture fails a test on
any violation). Runs use the light check set (palette warns, technical, moderation): the checks are the
same code as the live engine's and are tested elsewhere; these tests are about batching, retries, resume
and money.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from brandkit.errors import RequestError
from brandkit.jsonl import read_journal
from brandkit.provider.openai_batch import OpenAIBatchProvider
from brandkit.provider.pricing import DEFAULT_PRICES
from brandkit.variants import arun_variants, dry_run, replay
from brandkit.variants.plan import PlanError
from tests.support.openai_plugin import FAKE_API_KEY, generate_call
from tests.support.openai_server import OpenAIServer, StoredBatch
from tests.support.variants import FAST, cli_command, cli_env, openai_options

ROOT = Path(__file__).resolve().parents[1]
QUICK_BATCH = {"poll_interval_s": 0.0, "max_poll_interval_s": 0.05, "gather_s": 0.3}


BRANDS = {  # spec id: (folder, brief, cta, headlines)
    "northwind": (
        "northwind",
        "A ceramic cup of coffee on an oak table",
        "Order ahead",
        ["Slow mornings", "Roasted this week", "Meet the roasters"],
    ),
    "lumen": (
        "lumen-health",
        "A person stretching on a yoga mat in a bright room",
        "Book a visit",
        ["Small steps, every day", "Care that listens", "Feel at home"],
    ),
}


def write_plan(folder: Path, formats: tuple[str, ...] = ("square", "landscape"), headlines: int = 2) -> Path:
    """Both brands: Northwind sends its logo as a reference image (→ /v1/images/edits with a file id),
    Lumen composites copy and logo (→ /v1/images/generations)."""
    specs = [
        {
            "id": spec_id,
            "path": str(ROOT / "brand_specs" / folder_name),
            "base": {"brief": brief, "cta": cta, "policies": {"palette": "warn"}},
            "axes": {"headline": lines[:headlines]},
        }
        for spec_id, (folder_name, brief, cta, lines) in BRANDS.items()
    ]
    data: dict[str, Any] = {"name": "batch-test", "axes": {"format": list(formats)}, "specs": specs}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def options(server: OpenAIServer, **extra: Any) -> dict[str, Any]:
    return openai_options(server, engine="openai-batch", batch_options=dict(QUICK_BATCH), **extra)


def created_batches(server: OpenAIServer) -> list[StoredBatch]:
    """The batches the server holds, in creation order."""
    return sorted(server.batches.values(), key=lambda batch: batch.seq)


def batch_custom_ids(server: OpenAIServer) -> list[str]:
    """Every custom_id of every batch input file the server received, in order."""
    ids: list[str] = []
    for batch in created_batches(server):
        ids += [line["custom_id"] for line in server.file_lines(batch.input_file_id)]
    return ids


def manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


async def test_a_two_brand_plan_runs_through_batches_at_half_price(tmp_path: Path, openai_server: OpenAIServer) -> None:
    plan = write_plan(tmp_path)
    out = tmp_path / "out"
    run = await arun_variants(plan, out, **options(openai_server))

    assert run.ok and run.summary["succeeded"] == 8, run.variants
    # no direct image request: every image came from a batch, one batch per endpoint
    assert openai_server.count("/images/generations") == 0 and openai_server.count("/images/edits") == 0
    endpoints = sorted(batch.endpoint for batch in created_batches(openai_server))
    assert endpoints == ["/v1/images/edits", "/v1/images/generations"]
    # the Northwind logo (its reference image) was uploaded once, as a vision file, and referenced by id
    uploads = [f for f in openai_server.files.values() if f.purpose == "vision"]
    assert len(uploads) == 1
    edit_batch = next(b for b in created_batches(openai_server) if b.endpoint == "/v1/images/edits")
    lines = openai_server.file_lines(edit_batch.input_file_id)
    assert len(lines) == 4
    assert all(line["body"]["images"] == [{"file_id": uploads[0].id}] for line in lines)
    assert all(line["url"] == "/v1/images/edits" and line["method"] == "POST" for line in lines)
    assert not openai_server.batch_problems
    # moderation stayed live: one request per variant
    assert openai_server.count("/moderations") == 8

    # every image is on disk and billed at Batch prices (half of what the same usage costs live)
    data = manifest(out)
    assert len(data["variants"]) == 8
    for variant in data["variants"]:
        assert variant["status"] == "succeeded" and (out / variant["files"]["image"]).is_file()
    spent = run.summary["spend_usd"]
    usage_cost = 0.0
    for batch in created_batches(openai_server):
        assert batch.status == "completed" and batch.output_file_id and not batch.error_file_id
        for line in openai_server.file_lines(batch.output_file_id):
            usage = line["response"]["body"]["usage"]
            usage_cost += (
                usage["input_tokens_details"]["text_tokens"] * 5.0
                + usage["input_tokens_details"]["image_tokens"] * 8.0
                + usage["output_tokens"] * 30.0
            ) / 1_000_000
    assert spent == pytest.approx(usage_cost * DEFAULT_PRICES.batch_factor, abs=1e-5)  # summary: 6 decimals
    assert spent > 0

    # the state file names each batch and its requests; the inputs were written to disk as JSONL
    records, skipped = read_journal(out / "batch-state.jsonl")
    assert skipped == 0
    batches = [r for r in records if r["event"] == "batch"]
    assert {b["batch_id"] for b in batches} == {b.id for b in created_batches(openai_server)}
    assert sum(len(b["custom_ids"]) for b in batches) == 8
    assert len(list((out / "batch").glob("input-*.jsonl"))) == 2
    assert all(r["status"] == "completed" for r in records if r["event"] == "batch_ended")


async def test_failed_lines_are_retried_in_a_later_batch_and_blocks_are_final(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    plan = write_plan(tmp_path, formats=("square",), headlines=3)
    out = tmp_path / "out"
    openai_server.inject_batch_line("server_error", line=1)  # transient: goes into the next batch
    openai_server.inject_batch_line("moderation_blocked", line=2)  # final: the variant fails as blocked
    run = await arun_variants(plan, out, **options(openai_server))

    summary = run.summary
    assert summary["succeeded"] == 5 and summary["failed"] == 1, run.variants
    failed = [v for v in run.variants if v["status"] == "failed"]
    assert failed[0]["kind"] == "blocked" and "moderation" in failed[0]["reason"].lower()
    ids = batch_custom_ids(openai_server)
    # the retried request went into a later batch under its next custom_id; nothing else was sent twice
    bases = Counter(custom_id.rsplit("-", 1)[0] for custom_id in ids)
    assert sorted(bases.values()) == [1] * 5 + [2]
    retried = next(base for base, n in bases.items() if n == 2)
    assert f"{retried}-1" in ids and f"{retried}-2" in ids
    assert len(created_batches(openai_server)) == 3  # edits, generations, then the retry


async def test_an_expired_batch_keeps_its_answers_and_resubmits_the_rest(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    plan = write_plan(tmp_path, formats=("square",), headlines=3)
    out = tmp_path / "out"
    openai_server.inject_batch("expired", after_lines=1)  # the first batch created answers one line only
    run = await arun_variants(plan, out, **options(openai_server))

    assert run.ok and run.summary["succeeded"] == 6, run.variants
    first = created_batches(openai_server)[0]
    assert first.status == "expired"
    first_ids = [line["custom_id"] for line in openai_server.file_lines(first.input_file_id)]
    later = batch_custom_ids(openai_server)[len(first_ids) :]
    resubmitted = {custom_id.rsplit("-", 1)[0] for custom_id in later}
    assert len(first_ids) == 3 and resubmitted & {c.rsplit("-", 1)[0] for c in first_ids[1:]} == {
        c.rsplit("-", 1)[0] for c in first_ids[1:]
    }
    assert first_ids[0].rsplit("-", 1)[0] not in resubmitted  # the answered one was not paid for again


async def test_edits_at_a_size_the_json_form_cannot_carry_are_refused_before_sending(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    plan = write_plan(tmp_path, formats=("square", "banner"))  # banner is 1536x512; Northwind edits by reference
    with pytest.raises(PlanError) as caught:
        await arun_variants(plan, tmp_path / "out", **options(openai_server))
    text = str(caught.value) + " ".join(str(issue) for issue in caught.value.issues)
    assert "1536x512" in text and "size" in text
    assert len(caught.value.issues) == 2  # the two Northwind banners; Lumen's generations may be any size
    assert openai_server.count() == 0


def test_dry_run_prices_the_batch_engine_at_half(tmp_path: Path) -> None:
    plan = write_plan(tmp_path)
    live = dry_run(plan)
    batch = dry_run(plan, engine="openai-batch")
    assert batch.estimated_cost_usd == pytest.approx(live.estimated_cost_usd * DEFAULT_PRICES.batch_factor)
    assert batch.estimated_cost_usd > 0
    assert any("openai-batch" in note for note in batch.notes)
    with pytest.raises(RequestError, match="engine"):
        dry_run(plan, provider="local", engine="openai-batch")
    with pytest.raises(RequestError, match="unknown engine"):
        dry_run(plan, engine="carrier-pigeon")


def test_cli_refuses_the_batch_engine_with_the_local_renderer(tmp_path: Path) -> None:
    from brandkit.cli import app

    plan = write_plan(tmp_path)
    result = CliRunner().invoke(
        app,
        ["variants", str(plan), "--out", str(tmp_path / "out"), "--provider", "local", "--engine", "openai-batch"],
    )
    assert result.exit_code == 2, result.output
    assert "openai" in result.output and "engine" in result.output


async def test_delivery_slots_bound_work_but_never_starve_callers(tmp_path: Path, openai_server: OpenAIServer) -> None:
    from brandkit.provider.openai import OpenAIProvider

    api = OpenAIProvider(api_key=FAKE_API_KEY, base_url=openai_server.url, retry=FAST, timeout=20.0)
    provider = OpenAIBatchProvider(api, work_dir=tmp_path / "batch", delivery_slots=1, **QUICK_BATCH)
    try:
        with pytest.raises(RequestError, match="asynchronous"):
            provider.render(generate_call(size="1024x1024"))
        # three callers that never give their slot back: each slot returns when its task ends
        calls = [generate_call(size="1024x1024", quality=q) for q in ("low", "medium", "high")]
        results = await asyncio.wait_for(asyncio.gather(*(provider.arender(c) for c in calls)), 30)
        assert [r.images[0].width for r in results] == [1024, 1024, 1024]
        assert len(created_batches(openai_server)) == 1  # gathered into one batch
        assert provider.spent_usd == pytest.approx(sum(r.cost_usd for r in results))
    finally:
        await provider.aclose()


# --- kill -9 and resume --------------------------------------------------------------------------------------


def _command(folder: Path, plan: Path, out: Path, *extra: str) -> list[str]:
    return cli_command(folder, plan, out, "--engine", "openai-batch", "--poll-interval", "0.05", *extra)


@pytest.mark.slow
@pytest.mark.parametrize("lose_the_batch_record", [False, True], ids=["recorded", "crash-before-record"])
def test_sigkill_while_batches_run_then_resume_reattaches_and_pays_once(
    tmp_path: Path, openai_server: OpenAIServer, lose_the_batch_record: bool
) -> None:
    plan = write_plan(tmp_path)
    out = tmp_path / "out"
    env = cli_env(openai_server)
    openai_server.batch_polls_per_stage = 1_000_000  # the batches stay in progress until we let them finish

    first = subprocess.Popen(_command(tmp_path, plan, out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and first.poll() is None:
        records, _ = read_journal(out / "batch-state.jsonl")
        if sum(1 for r in records if r["event"] == "batch") == 2:
            break
        time.sleep(0.05)
    assert first.poll() is None, f"the run ended before it could be killed: {first.communicate()}"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert len(created_batches(openai_server)) == 2
    if lose_the_batch_record:  # as if the process died between creating a batch and writing it down
        state = out / "batch-state.jsonl"
        kept = [line for line in state.read_text(encoding="utf-8").splitlines() if '"event":"batch"' not in line]
        state.write_text("\n".join(kept) + "\n", encoding="utf-8")
    records, _ = read_journal(out / "journal.jsonl")
    assert not any(r["event"] == "succeeded" for r in records)
    uploads_before = openai_server.count("/files", method="POST")

    openai_server.batch_polls_per_stage = 1
    second = subprocess.run(_command(tmp_path, plan, out, "--resume"), env=env, capture_output=True, timeout=180)
    assert second.returncode == 0, second.stderr.decode()[-3000:]
    result = json.loads(second.stdout)
    assert result["ok"] is True and result["summary"]["succeeded"] == 8

    # no batch was created again, no input file or reference uploaded again: the resumed run re-attached
    assert len(created_batches(openai_server)) == 2
    assert openai_server.count("/files", method="POST") == uploads_before
    if lose_the_batch_record:
        assert openai_server.count("/batches", method="GET") >= 1  # it looked the batches up by input file
    ids = batch_custom_ids(openai_server)
    assert len(ids) == len(set(ids)) == 8
    state = replay(read_journal(out / "journal.jsonl")[0])
    assert sum(1 for v in state.variants.values() if v.status == "succeeded") == 8
    data = manifest(out)
    assert all(v["status"] == "succeeded" and (out / v["files"]["image"]).is_file() for v in data["variants"])


async def test_edit_mode_locales_go_into_a_later_edits_batch_with_the_master_as_a_file(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    data: dict[str, Any] = {
        "name": "batch-localize",
        "spec": str(ROOT / "brand_specs" / "lumen-health"),
        "base": {"brief": "A person stretching on a yoga mat", "cta": "Book a visit", "policies": {"palette": "warn"}},
        "axes": {"headline": ["Small steps, every day", "Care that listens"], "locale": ["en", "de"]},
        "locales": {
            "de": {
                "language": "German",
                "headline": {
                    "Small steps, every day": "Kleine Schritte, jeden Tag",
                    "Care that listens": "Fürsorge, die zuhört",
                },
                "cta": "Termin buchen",
            }
        },
        "mode": "edit",
    }
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    run = await arun_variants(plan, out, **options(openai_server))

    assert run.ok and run.summary["succeeded"] == 4, run.variants
    first, second = created_batches(openai_server)
    assert first.endpoint == "/v1/images/generations" and second.endpoint == "/v1/images/edits"
    assert len(first.lines) == 2 and len(second.lines) == 2
    masters = {v["key"]: v for v in run.variants if v["operation"] == "generate"}
    uploaded = {line["body"]["images"][0]["file_id"] for line in openai_server.file_lines(second.input_file_id)}
    # each German edit sent its master's finished file (as saved, provenance included) as image 1
    sent = {openai_server.files[file_id].data for file_id in uploaded}
    assert sent == {(out / v["files"]["image"]).read_bytes() for v in masters.values()}
