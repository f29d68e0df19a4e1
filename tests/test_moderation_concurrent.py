"""Moderation beside the checks: the pipeline runs the checks that do not read the moderation scores while the
moderation request is out (``flows/effects.py::Gather``), and the moderation check once the scores are in.

Each concurrency test would hang (and fail at its timeout) if the two ran one after the other: the moderator
waits for a check to have started, and says whether it saw it. Errors keep their meaning: a moderation
provider's failure is the moderation check's ``not_checked`` reason, any other moderator error is raised, as
before; the report lists the checks in the kit's order.
"""

from __future__ import annotations

import asyncio
import io
import threading
from typing import ClassVar

import pytest
from PIL import Image, ImageDraw

import brandkit
from brandkit.checks.base import (
    CheckContext,
    CheckInfo,
    CheckResources,
    Expectation,
    combine_reports,
    reads_moderation,
    run_checks,
    split_checks,
)
from brandkit.checks.registry import default_checks
from brandkit.errors import ImageInputError, ProviderError
from brandkit.models import CheckResult, CheckStatus
from brandkit.moderation_scores import ModerationScores
from brandkit.pipeline import Compute, Gather, KitContext, Moderate, Outcome, run_async, run_sync
from brandkit.provider.local import LocalRenderer

WAIT_S = 10.0


def _png(size: int = 256) -> bytes:
    image = Image.new("RGB", (size, size), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((32, 32, size - 32, size - 32), fill=(20, 40, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class Meeting:
    """A check and the moderator meet here: the check says it started, the moderator waits for that."""

    def __init__(self) -> None:
        self.check_started = threading.Event()
        self.moderator_saw_check: bool | None = None
        self.moderation_threads: list[str] = []
        self.check_threads: list[str] = []


class WaitingModerator:
    """A remote-style moderator (bytes only) whose answer waits for a check to have started."""

    name = "remote:waiting"

    def __init__(self, meeting: Meeting, fail: Exception | None = None) -> None:
        self.meeting = meeting
        self.fail = fail

    def moderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        self.meeting.moderation_threads.append(threading.current_thread().name)
        self.meeting.moderator_saw_check = self.meeting.check_started.wait(WAIT_S)
        if self.fail is not None:
            raise self.fail
        return ModerationScores(source=self.name, scores={"sexual": 0.01}, flagged=False)

    async def amoderate(self, image: bytes, mime: str, text: str) -> ModerationScores:
        return await asyncio.to_thread(self.moderate, image, mime, text)


class StartedCheck:
    """A declared check that does not read the scores: it tells the meeting it runs."""

    name = "started"
    info: ClassVar[CheckInfo] = CheckInfo(name="started", default_policy="warn", reads_moderation=False)

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting

    def run(self, ctx: CheckContext) -> CheckResult:
        self.meeting.check_threads.append(threading.current_thread().name)
        self.meeting.check_started.set()
        return CheckResult(
            name=self.name, status=CheckStatus.passed, details={"saw_scores": ctx.moderation is not None}
        )


class ScoresCheck:
    """A check without a declaration: taken to read the scores, so it runs once they are in."""

    name = "scores"

    def run(self, ctx: CheckContext) -> CheckResult:
        return CheckResult(
            name=self.name,
            status=CheckStatus.passed,
            details={"sexual": ctx.moderation.scores.get("sexual") if ctx.moderation else None},
        )


def _kit(spec: brandkit.BrandSpec, moderator: object, checks: list[object]) -> brandkit.BrandKit:
    return brandkit.BrandKit(spec, provider="local", moderator=moderator, checks=checks, signer=None)  # type: ignore[arg-type]


def test_the_declarations_split_the_checks() -> None:
    builtin = default_checks()
    before, after = split_checks(builtin)
    assert [c.name for c in after] == ["moderation"]  # the only built-in check that reads the scores
    assert [c.name for c in before] == [c.name for c in builtin if c.name != "moderation"]
    assert reads_moderation(ScoresCheck())  # no declaration: waits for the scores, as every check did before
    assert CheckInfo(name="plugin", default_policy="warn").reads_moderation  # a declaration must opt out


def test_sync_validate_runs_the_checks_while_moderation_is_out(northwind: brandkit.BrandSpec) -> None:
    meeting = Meeting()
    kit = _kit(northwind, WaitingModerator(meeting), [StartedCheck(meeting), *default_checks(), ScoresCheck()])
    report = kit.validate(_png())
    assert meeting.moderator_saw_check is True  # the check started while the moderator was waiting
    assert meeting.moderation_threads != meeting.check_threads  # on two threads
    assert report.checks["started"].details["saw_scores"] is False  # ran before the scores were in
    assert report.checks["scores"].details["sexual"] == pytest.approx(0.01)  # ran after
    assert report.checks["moderation"].status is CheckStatus.passed
    assert list(report.checks) == [
        name for name in ("started", *(c.name for c in default_checks()), "scores") if name in report.checks
    ]


def test_async_validate_runs_the_checks_while_moderation_is_out(northwind: brandkit.BrandSpec) -> None:
    meeting = Meeting()
    checks = [StartedCheck(meeting), ScoresCheck()]
    kit = brandkit.AsyncBrandKit(
        northwind, provider="local", moderator=WaitingModerator(meeting), checks=checks, signer=None
    )  # type: ignore[arg-type]

    report = asyncio.run(kit.validate(_png()))
    assert meeting.moderator_saw_check is True
    assert list(report.checks) == ["started", "scores"]
    assert report.checks["scores"].details["sexual"] == pytest.approx(0.01)


def test_generate_moderates_beside_the_checks(northwind: brandkit.BrandSpec) -> None:
    meeting = Meeting()
    kit = _kit(northwind, WaitingModerator(meeting), [StartedCheck(meeting), *default_checks()])
    asset = kit.generate(brandkit.AssetRequest(brief="a cup of coffee on a table", headline="Fresh Roast"))
    assert meeting.moderator_saw_check is True
    assert asset.report.checks["moderation"].status is CheckStatus.passed


def test_a_moderation_provider_failure_is_the_checks_reason(northwind: brandkit.BrandSpec) -> None:
    meeting = Meeting()
    failing = WaitingModerator(meeting, fail=ProviderError("moderation endpoint 503", provider="remote"))
    report = _kit(northwind, failing, [StartedCheck(meeting), *default_checks()]).validate(_png())
    moderation = report.checks["moderation"]
    assert moderation.status is CheckStatus.not_checked
    assert "moderation service failed: moderation endpoint 503" in str(moderation.details)
    assert report.checks["started"].status is CheckStatus.passed  # the other checks still ran


def test_any_other_moderator_error_is_raised(northwind: brandkit.BrandSpec) -> None:
    meeting = Meeting()
    broken = WaitingModerator(meeting, fail=RuntimeError("moderator bug"))
    with pytest.raises(RuntimeError, match="moderator bug"):
        _kit(northwind, broken, [StartedCheck(meeting)]).validate(_png())


def _ctx(spec: brandkit.BrandSpec, moderator: object) -> KitContext:
    return KitContext(spec=spec, provider=LocalRenderer(spec), moderator=moderator, checks=[])  # type: ignore[arg-type]


def test_gather_hands_back_each_outcome_and_runs_every_effect(northwind: brandkit.BrandSpec) -> None:
    meeting = Meeting()
    moderator = WaitingModerator(meeting)

    def flow():  # type: ignore[no-untyped-def]
        def boom() -> None:
            meeting.check_started.set()
            raise ValueError("compute failed")

        outcomes = yield Gather((Moderate(b"png", "image/png", ""), Compute(boom)))
        return outcomes

    for outcomes in (
        run_sync(flow(), _ctx(northwind, moderator)),
        asyncio.run(run_async(flow(), _ctx(northwind, moderator))),
    ):
        scores, failed = outcomes
        assert isinstance(scores, Outcome) and scores.error is None and scores.get().source == "remote:waiting"
        assert isinstance(failed.error, ValueError)  # handed back, not thrown into the flow
        with pytest.raises(ValueError, match="compute failed"):
            failed.get()
        assert meeting.moderator_saw_check is True


def test_a_context_without_pixels_decodes_them_when_read(northwind: brandkit.BrandSpec) -> None:
    data = _png(128)
    ctx = CheckContext(spec=northwind, image=None, data=data, expectation=Expectation(), resources=CheckResources())
    assert ctx.image.size == (128, 128) and ctx.image.getpixel((64, 64)) == (20, 40, 90)
    assert ctx.image is ctx.image  # decoded once
    bad = CheckContext(
        spec=northwind, image=None, data=b"not an image", expectation=Expectation(), resources=CheckResources()
    )
    with pytest.raises(ImageInputError):
        _ = bad.image


def test_combine_reports_keeps_the_order_and_refuses_overlaps(northwind: brandkit.BrandSpec) -> None:
    meeting = Meeting()
    checks = [ScoresCheck(), StartedCheck(meeting)]
    ctx = CheckContext(spec=northwind, image=None, data=_png(64), expectation=Expectation(), resources=CheckResources())
    late = run_checks(ctx, checks[:1])
    early = run_checks(ctx, checks[1:])
    both = combine_reports(checks, early, late)
    assert list(both.checks) == ["scores", "started"]
    assert both.elapsed_ms == pytest.approx(early.elapsed_ms + late.elapsed_ms, abs=0.002)
    with pytest.raises(ValueError, match="run twice"):
        combine_reports(checks, early, early)
