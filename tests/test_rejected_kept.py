"""A request whose checks fail on every attempt keeps its best attempt: paid for, never thrown away.

``BrandViolationError.asset`` (the SDK: the best attempt as an unsaved asset, its failing report and provenance
embedded), ``generate_many(on_rejected=…)`` (sync and async), and ``brandkit generate`` / ``brandkit edit``, which
save it as ``…-rejected.<ext>`` with its sidecar and record it in the registry as failed — over real HTTP against
the loopback OpenAI server, whose imagery is off-palette for every attempt; a review's regeneration and a variant
that fail keep theirs the same way (with the local renderer and a check that fails every image).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import brandkit
from brandkit.checks.technical import TechnicalCheck
from brandkit.cli import app
from brandkit.errors import BrandViolationError
from brandkit.imageio import read_provenance
from brandkit.models import CheckStatus
from brandkit.registry import AssetFilter, Registry, ReviewState
from brandkit.registry.recorder import RegistryRecorder
from brandkit.variants import arun_variants
from tests.support.never_passes import NeverPasses
from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY
from tests.support.openai_server import OpenAIServer
from tests.test_openai_kit import REQ, brand_imagery
from tests.test_variants_run import write_plan

ARGS = ["generate", "--spec", "brand_specs/northwind", "--brief", REQ["brief"], "--headline", REQ["headline"]]


def _kit(spec: brandkit.BrandSpec, server: OpenAIServer, cls: Any = brandkit.BrandKit) -> Any:
    return cls(spec, provider="openai", api_key=FAKE_API_KEY, base_url=server.url, retry=FAST_RETRY)


@pytest.fixture
def failing(northwind: brandkit.BrandSpec, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> int:
    """Every image the server paints is off-palette (for 10 requests' attempts); the CLI pointed at the server.
    Returns the attempts a request makes."""
    attempts = northwind.repair.max_attempts
    openai_server.image_factory = brand_imagery(northwind, off_palette_first=10 * attempts)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    return attempts


def test_the_error_carries_the_best_attempt_as_an_asset_to_keep(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer, failing: int, tmp_path: Path
) -> None:
    with pytest.raises(BrandViolationError) as caught:
        _kit(northwind, openai_server).generate(REQ)
    err = caught.value
    asset = err.asset
    assert isinstance(asset, brandkit.Asset) and err.best is not None
    assert asset.passed is False and asset.report is err.report and asset.attempt_number == err.best.number
    assert len(asset.attempts) == failing == len(err.attempts)
    assert asset.cost_usd == pytest.approx(sum(a.cost_usd for a in err.attempts)) and asset.cost_usd > 0
    assert asset.request is not None and asset.request.headline == REQ["headline"]
    record = json.loads(read_provenance(asset.data) or "{}")  # the provenance is embedded, as in a passing asset
    assert record["checks"]["palette"] == "failed" and record["attempt"] == err.best.number
    path = asset.save(tmp_path / "kept.png")
    sidecar = brandkit.read_sidecar(path)
    assert sidecar.report.passed is False and sidecar.report.checks["palette"].status.value == "failed"
    assert [a.passed for a in sidecar.attempts] == [False] * failing
    assert FAKE_API_KEY not in path.with_name("kept.png.json").read_text()


def test_generate_many_tells_on_rejected_of_each_failed_variant_sync_and_async(
    northwind: brandkit.BrandSpec, openai_server: OpenAIServer, failing: int
) -> None:
    told: list[tuple[int, bool]] = []
    with pytest.raises(BrandViolationError):  # none made: the first variant's own error
        _kit(northwind, openai_server).generate_many(
            {**REQ, "n": 2}, on_rejected=lambda i, e: told.append((i, e.asset.passed))
        )
    assert told == [(0, False), (1, False)]  # the second variant's best attempt is not lost with it

    async def run() -> list[int]:
        seen: list[int] = []
        kit = _kit(northwind, openai_server, brandkit.AsyncBrandKit)
        with pytest.raises(BrandViolationError):
            await kit.generate_many({**REQ, "n": 2}, on_rejected=lambda i, e: seen.append(i))
        return sorted(seen)

    assert asyncio.run(run()) == [0, 1]


def test_cli_generate_keeps_the_best_rejected_attempt_with_its_sidecar_and_record(failing: int, tmp_path: Path) -> None:
    out, db = tmp_path / "out", tmp_path / "r.db"
    result = CliRunner().invoke(app, [*ARGS, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 1, result.output  # still a failure: checks (1)
    kept = out / "northwind-coffee-square-rejected.png"
    assert sorted(p.name for p in out.iterdir()) == [kept.name, f"{kept.name}.json"]
    assert f"✗ rejected, kept for review: {kept}" in result.stdout
    assert f"best attempt kept for review: {kept}" in " ".join(result.stderr.split())
    sidecar = brandkit.read_sidecar(kept)
    assert sidecar.report.passed is False and len(sidecar.attempts) == failing
    with Registry.open(db) as registry:
        (row,) = registry.list_assets()
        assert (row.passed, row.kind, Path(row.path).name, row.attempts) == (False, "generate", kept.name, failing)
    listed = CliRunner().invoke(app, ["review", "list", "--gates", "failed", "--db", str(db), "--json"])
    assert [a["id"] for a in json.loads(listed.stdout)["assets"]] == [row.id]
    ready = CliRunner().invoke(
        app, ["review", "list", "--state", "pending", "--gates", "passed", "--db", str(db), "--json"]
    )
    assert json.loads(ready.stdout)["assets"] == []  # nothing that passed its checks awaits a decision
    bad = CliRunner().invoke(app, ["review", "list", "--gates", "green", "--db", str(db)])
    assert bad.exit_code == 2 and "'green' is not one of passed, failed" in bad.stderr
    # in the review queue: approving it overrides its failed checks, so only with a reason
    approve = ["review", "approve", str(row.id), "--reviewer", "ann", "--db", str(db)]
    refused = CliRunner().invoke(app, approve)
    assert refused.exit_code == 2 and "overrides them" in " ".join(refused.stderr.split())
    assert CliRunner().invoke(app, [*approve, "--reason", "the client supplied this green"]).exit_code == 0
    exported = CliRunner().invoke(app, ["review", "export", str(tmp_path / "pub"), "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    (entry,) = json.loads((tmp_path / "pub" / "export.json").read_text())["assets"]
    assert (entry["checks_passed"], entry["approval_reason"]) == (False, "the client supplied this green")
    again = CliRunner().invoke(app, [*ARGS, "--out", str(out), "--db", str(db), "--json"])
    doc = json.loads(again.stdout)
    assert again.exit_code == 1 and doc["exit_code"] == 1 and doc["report"]["passed"] is False
    (rejected,) = doc["rejected"]
    assert Path(rejected["path"]).name == "northwind-coffee-square-rejected-2.png"  # never over the first one
    assert rejected["passed"] is False and rejected["checks"]["palette"] == "failed"
    assert kept.is_file() and Path(rejected["sidecar"]).is_file()


def test_cli_generate_n_keeps_every_failed_variants_best_attempt(failing: int, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*ARGS, "--n", "2", "--out", str(out), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.glob("*.png")) == [
        "northwind-coffee-square-1-rejected.png",
        "northwind-coffee-square-2-rejected.png",
    ]


def test_cli_edit_keeps_its_rejected_attempt_with_what_it_kept(
    northwind: brandkit.BrandSpec, failing: int, tmp_path: Path
) -> None:
    source = brandkit.BrandKit(northwind, provider="local").generate(REQ).save(tmp_path / "ad.png")
    out = tmp_path / "edits"
    args = ["edit", "--spec", "brand_specs/northwind", str(source), "-i", "Warmer light", "--headline", "Neu"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--db", str(tmp_path / "r.db"), "--json"])
    assert result.exit_code == 1, result.output
    (rejected,) = json.loads(result.stdout)["rejected"]
    assert Path(rejected["path"]).name == "ad-edited-rejected.png"
    assert rejected["edit"]["changed"]["headline"]["after"] == "Neu"  # the edit report, as a passing edit has it
    assert brandkit.read_sidecar(Path(rejected["path"])).edit is not None


LOCAL = ["generate", "--provider", "local", "--spec", "brand_specs/northwind", "--brief", REQ["brief"], "--seed", "7"]


def test_a_review_regeneration_that_fails_keeps_its_best_attempt_as_a_checkable_asset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(brandkit.kit, "default_checks", lambda: [TechnicalCheck()])
    out = tmp_path / "out"
    assert CliRunner().invoke(app, [*LOCAL, "--out", str(out)]).exit_code == 0
    monkeypatch.setattr(brandkit.kit, "default_checks", lambda: [TechnicalCheck(), NeverPasses()])
    db = out / "brandkit.db"
    args = ["review", "request-changes", "1", "-r", "warmer light", "--reviewer", "dan", "--db", str(db), "--json"]
    result = CliRunner().invoke(app, args)
    new = json.loads(result.stdout)["asset"]
    path = Path(new["path"])
    assert path.name.endswith("-rejected.png") and new["passed"] is False and new["kind"] == "regenerate"
    assert new["content_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()  # the bytes on disk, approvable
    assert read_provenance(path.read_bytes()) is not None  # checkable again from its provenance
    assert brandkit.read_sidecar(path).report.checks["never"].status is CheckStatus.failed


async def test_a_variant_that_fails_keeps_its_best_attempt_with_provenance_and_sidecar(
    tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    plan = write_plan(tmp_path, headlines=1)
    out = tmp_path / "out"
    recorder = RegistryRecorder(tmp_path / "r.db", "variants", out)
    checks = [TechnicalCheck(), NeverPasses()]
    with recorder:
        run = await arun_variants(plan, out, provider="local", checks=checks, max_attempts=2, recorder=recorder)
    (failed,) = run.variants
    assert failed["status"] == "failed" and failed["kind"] == "checks"
    kept = out / failed["files"]["rejected"]
    record = json.loads(read_provenance(kept.read_bytes()) or "{}")
    assert record["checks"]["never"] == "failed"  # a later `brandkit validate` knows its copy and layout
    sidecar = brandkit.read_sidecar(kept)
    assert sidecar.report.passed is False and len(sidecar.attempts) == 2
    with Registry.open(tmp_path / "r.db") as registry:
        row = registry.known_file(kept)
    assert row is not None and (row.kind, row.passed, row.attempts) == ("variant", False, 2)
    assert row.content_hash == hashlib.sha256(kept.read_bytes()).hexdigest()  # what is on disk: approvable


async def test_a_variant_made_again_supersedes_its_rejected_row_in_the_queue(
    tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    plan = write_plan(tmp_path, headlines=1)
    out, db = tmp_path / "out", tmp_path / "r.db"
    with RegistryRecorder(db, "variants", out) as recorder:
        first = await arun_variants(
            plan, out, provider="local", checks=[TechnicalCheck(), NeverPasses()], **_two(recorder)
        )
    assert first.variants[0]["status"] == "failed"
    # --retry-failed: the same variant made again into the same folder, this time passing
    with RegistryRecorder(db, "variants", out) as recorder:
        again = await arun_variants(
            plan, out, provider="local", checks=[TechnicalCheck()], resume=True, retry_failed=True, **_two(recorder)
        )
    assert again.variants[0]["status"] == "succeeded"
    with Registry.open(db) as registry:
        old, new = sorted(registry.list_assets(), key=lambda r: r.id)
        queue = registry.list_assets(AssetFilter(state=ReviewState.pending))
        metrics = registry.metrics()
    assert old.key == new.key and (old.passed, new.passed) == (False, True)
    assert (old.state, old.superseded_by) == (ReviewState.superseded, new.id)
    assert (new.state, new.superseded_by) == (ReviewState.pending, None)
    assert [r.id for r in queue] == [new.id]  # the reviewer sees the variant once: as it is now
    assert not isinstance(metrics, dict) and (metrics.pending, metrics.superseded) == (1, 1)
    # the same plan run into another folder is another set of variants: nothing there supersedes this one
    with RegistryRecorder(db, "variants", tmp_path / "elsewhere") as recorder:
        await arun_variants(
            plan, tmp_path / "elsewhere", provider="local", checks=[TechnicalCheck()], recorder=recorder
        )
    with Registry.open(db) as registry:
        assert [r.state for r in registry.list_assets()] == [
            ReviewState.pending,
            ReviewState.pending,
            ReviewState.superseded,
        ]


async def test_a_variant_made_again_never_replaces_its_earlier_rejected_file(
    tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    plan = write_plan(tmp_path, headlines=1)
    out = tmp_path / "out"
    checks = [TechnicalCheck(), NeverPasses()]
    first = await arun_variants(plan, out, provider="local", checks=checks, max_attempts=2)
    kept = out / first.variants[0]["files"]["rejected"]
    made = kept.read_bytes()
    # a session that saves the same bytes again (the local renderer is deterministic) reuses the name
    again = await arun_variants(
        plan, out, provider="local", checks=checks, max_attempts=2, resume=True, retry_failed=True
    )
    assert (
        again.variants[0]["files"]["rejected"] == first.variants[0]["files"]["rejected"] and kept.read_bytes() == made
    )
    # an earlier session's best attempt that differs (a paid model answers differently each time) — perhaps approved
    # in review over its checks, its hash in the registry — stays as it is: the new one goes beside it
    earlier = made[:-8] + b"earlier."
    kept.write_bytes(earlier)
    third = await arun_variants(
        plan, out, provider="local", checks=checks, max_attempts=2, resume=True, retry_failed=True
    )
    beside = out / third.variants[0]["files"]["rejected"]
    assert beside.name == kept.stem + "-2" + kept.suffix and beside.read_bytes() == made
    assert (beside.parent / (beside.name + ".json")).is_file()  # with its sidecar
    assert kept.read_bytes() == earlier  # before: replaced in place


def _two(recorder: RegistryRecorder) -> dict[str, Any]:
    return {"max_attempts": 2, "recorder": recorder}
