"""Every built-in check's ``details`` on real runs (passed, failed, not_checked, skipped) validate against its typed
details model (``CheckInfo.details_model``), with no undeclared key at any level: a check that starts writing a new
key fails here until its model declares it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import BaseModel

from brandkit.check_catalog import CheckDetails, check_names
from brandkit.checks.base import CheckInfo, CheckResources, ModerationScores, run_checks
from brandkit.checks.contrast import ContrastCheck
from brandkit.checks.contrast_details import ContrastDetails
from brandkit.checks.credentials import CredentialsCheck, CredentialsDetails
from brandkit.checks.logo import LogoCheck
from brandkit.checks.logo.details import LogoDetails
from brandkit.checks.moderation import MODERATION_CATEGORIES, ModerationCheck
from brandkit.checks.moderation_details import ModerationDetails
from brandkit.checks.palette import PaletteCheck
from brandkit.checks.palette_details import PaletteDetails
from brandkit.checks.registry import check_classes
from brandkit.checks.technical import TechnicalCheck, TechnicalDetails
from brandkit.checks.text import TextCheck
from brandkit.checks.text_details import TextDetails
from brandkit.credentials.devcert import make_chain
from brandkit.credentials.sign import sign_image
from brandkit.credentials.signer import CredentialSigner
from brandkit.models import CheckResult, CheckStatus
from brandkit.ocr import OcrLine, RapidOcrEngine
from brandkit.spec.models import BrandSpec
from tests.checks_support import FakeOcr, Poster, Text, context, draw_logo, make_spec, ocr_engine, resources_with

__all__ = ["ocr_engine"]  # the session fixture, re-exported for pytest

HEADLINE = "Fresh Roast Friday"
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COPY = {"headline": HEADLINE, "cta": "Order now"}


def _extras(value: Any, where: str) -> Iterator[str]:
    """Paths of every undeclared key in a validated details model, at any depth."""
    if isinstance(value, BaseModel):
        for key in value.model_extra or {}:
            yield f"{where}.{key}"
        for name in type(value).model_fields:
            yield from _extras(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _extras(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _extras(item, f"{where}[{i}]")


def strict_details(res: CheckResult) -> CheckDetails:
    """``res.details`` through its check's model; fails on a wrong type or on any undeclared key."""
    info: CheckInfo = {cls.info.name: cls.info for cls in check_classes()}[res.name]
    model = info.details(res)
    assert isinstance(model, info.details_model)
    undeclared = list(_extras(model, res.name))
    assert not undeclared, (
        f"{res.name} ({res.status.value}) sets keys its {info.details_model.__name__} lacks: {undeclared}"
    )
    return model


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> BrandSpec:
    return make_spec(tmp_path_factory.mktemp("details"))


def _poster(*texts: Text, logo: bool = True, **kw: Any) -> Image.Image:
    return Poster(logo=draw_logo() if logo else None, texts=list(texts), **kw).render()


GOOD = (Text(HEADLINE, (64, 300), 84), Text("Order now", (64, 520), 48))


def test_the_strict_reading_catches_an_undeclared_key_and_a_wrong_type() -> None:
    res = CheckResult(name="technical", status=CheckStatus.passed, details={"checks": {}, "surprise": 1})
    with pytest.raises(AssertionError, match=r"technical\.surprise"):
        strict_details(res)
    nested = {"checks": {"format": {"ok": True, "expected": "png", "actual": "png", "surprise": 1}}}
    with pytest.raises(AssertionError, match=r"technical\.checks\['format'\]\.surprise"):
        strict_details(CheckResult(name="technical", status=CheckStatus.passed, details=nested))
    with pytest.raises(ValueError, match="TechnicalDetails"):
        strict_details(CheckResult(name="technical", status=CheckStatus.passed, details={"failed": "dimensions"}))


def test_every_builtin_check_declares_its_own_details_model() -> None:
    models = {cls.info.name: cls.info.details_model for cls in check_classes()}
    assert models == {
        "palette": PaletteDetails,
        "text": TextDetails,
        "logo": LogoDetails,
        "contrast": ContrastDetails,
        "technical": TechnicalDetails,
        "moderation": ModerationDetails,
        "credentials": CredentialsDetails,
    }
    assert list(models) == list(check_names())


def test_all_checks_on_real_images_validate(spec: BrandSpec, ocr_engine: RapidOcrEngine) -> None:
    """The default checks run together on an on-brand poster and on a broken one."""
    seen: dict[str, set[CheckStatus]] = {}
    good = _poster(*GOOD)
    bad = _poster(Text("Fresh Roast Fridey cheap", (64, 300), 84, fill="#E8E2D8"), logo=False, background="#3FA34D")
    for image, fmt in ((good, "png"), (bad, "jpeg")):
        ctx = context(
            spec,
            image,
            resources_with(ocr_engine),
            fmt=fmt,
            width=1024,
            height=1024,
            output_format="png",
            copy_block=COPY,
            logo_variant="primary",
        )
        report = run_checks(ctx, [cls() for cls in check_classes()])
        for res in report.checks.values():
            strict_details(res)
            seen.setdefault(res.name, set()).add(res.status)
    assert set(seen) == set(check_names())
    for name in ("text", "logo", "technical", "contrast"):
        assert {CheckStatus.passed, CheckStatus.failed} <= seen[name], (name, seen[name])
    assert seen["moderation"] == {CheckStatus.not_checked}  # no scores in the context
    assert seen["credentials"] == {CheckStatus.failed}  # absent


def test_text_details_in_every_state(spec: BrandSpec, tmp_path: Path) -> None:
    image = _poster(*GOOD)
    off = FakeOcr(available=False)
    plain = make_spec(tmp_path, forbidden_terms=(), competitors=(), patterns=())
    cases = [
        (TextCheck(), context(plain, image, resources_with(off)), CheckStatus.skipped),
        (TextCheck(), context(spec, image, resources_with(off), copy_source="none"), CheckStatus.not_checked),
        (TextCheck(), context(spec, image, resources_with(off), copy_block=COPY), CheckStatus.not_checked),
    ]
    lines = [OcrLine("Fresh Roast Friday cheap", (64, 300, 700, 380), 0.98), OcrLine("Hello", (64, 600, 300, 640), 0.9)]
    read = FakeOcr(lines)
    cases += [
        (
            TextCheck(flag_unexpected=True),
            context(spec, image, resources_with(read), copy_block=COPY),
            CheckStatus.failed,
        ),
        (TextCheck(), context(spec, image, resources_with(read), copy_source="none"), CheckStatus.failed),
        (TextCheck(), context(spec, image, resources_with(read), copy_block={"headline": "مرحبا بالعالم"}), None),
    ]
    for check, ctx, want in cases:
        res = check.run(ctx)
        details = strict_details(res)
        assert isinstance(details, TextDetails)
        if want is not None:
            assert res.status is want, res.details
    res = TextCheck().run(context(spec, image, resources_with(read), copy_block=COPY))
    model = TextCheck.info.details(res)
    assert isinstance(model, TextDetails) and model.strings["headline"].exact is True
    assert model.strings["cta"].found is False
    assert [h.rule for h in model.forbidden] == ["cheap"]


def test_contrast_details_in_every_state(spec: BrandSpec) -> None:
    image = _poster(*GOOD)
    line = OcrLine(HEADLINE, (64, 300, 760, 384), 0.99)
    cases = [
        (context(spec, image, resources_with(FakeOcr(available=False)), copy_block=COPY), CheckStatus.not_checked),
        (context(spec, image, resources_with(FakeOcr())), CheckStatus.skipped),
        (
            context(spec, image, resources_with(FakeOcr([OcrLine("zzz", (0, 0, 9, 9), 0.5)])), copy_block=COPY),
            CheckStatus.not_checked,
        ),
        (context(spec, image, resources_with(FakeOcr([line])), copy_block={"headline": HEADLINE}), CheckStatus.passed),
        (context(spec, image, resources_with(FakeOcr([line]))), CheckStatus.passed),
    ]
    pale = _poster(Text(HEADLINE, (64, 300), 84, fill="#E8E2D8"))
    cases.append(
        (context(spec, pale, resources_with(FakeOcr([line])), copy_block={"headline": HEADLINE}), CheckStatus.failed)
    )
    for ctx, want in cases:
        res = ContrastCheck().run(ctx)
        assert res.status is want, res.details
        strict_details(res)
    model = ContrastCheck.info.details(ContrastCheck().run(cases[3][0]))
    assert isinstance(model, ContrastDetails) and model.lines[0].roles == "headline" and model.lines[0].passed


def test_logo_details_in_every_state(spec: BrandSpec, tmp_path: Path) -> None:
    with_logo = _poster(*GOOD)
    without = _poster(*GOOD, logo=False)
    cases = [
        (context(spec, with_logo, CheckResources()), CheckStatus.skipped),
        (context(spec, with_logo, CheckResources(), logo_variant="nope"), CheckStatus.not_checked),
        (context(spec, with_logo, CheckResources(), logo_variant="primary"), CheckStatus.passed),
        (context(spec, without, CheckResources(), logo_variant="primary"), CheckStatus.failed),
        (context(spec, with_logo, CheckResources(), copy_source="none"), CheckStatus.passed),
        (context(spec, without, CheckResources(), copy_source="none"), CheckStatus.failed),
    ]
    crowded = _poster(Text("CROWD", (300, 64), 60), logo_xy=(64, 64))
    cases.append((context(spec, crowded, CheckResources(), logo_variant="primary"), None))
    for ctx, want in cases:
        res = LogoCheck().run(ctx)
        if want is not None:
            assert res.status is want, res.details
        strict_details(res)
    model = LogoCheck.info.details(LogoCheck().run(cases[2][0]))
    assert isinstance(model, LogoDetails) and model.found is True and model.rules is not None


def test_technical_details_in_every_state(spec: BrandSpec) -> None:
    rgba = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    cases = [
        (context(spec, _poster(), CheckResources(), width=1024, height=1024, output_format="png"), CheckStatus.passed),
        (
            context(spec, rgba, CheckResources(), width=32, output_format="jpeg", transparent=False, max_file_bytes=10),
            CheckStatus.failed,
        ),
        (context(spec, rgba, CheckResources(), data=b"\x89PNG\r\n\x1a\n broken", transparent=True), CheckStatus.failed),
    ]
    for ctx, want in cases:
        res = TechnicalCheck().run(ctx)
        assert res.status is want, res.details
        strict_details(res)
    model = TechnicalCheck.info.details(TechnicalCheck().run(cases[1][0]))
    assert isinstance(model, TechnicalDetails) and model.failed and "dimensions" in model.failed


def test_moderation_details_in_every_state(spec: BrandSpec) -> None:
    check = ModerationCheck()
    full = {c: 0.01 for c in MODERATION_CATEGORIES}
    results = [
        check.run(context(spec, _poster(), CheckResources())),
        check.evaluate(ModerationScores(source="t", scores={}), {}),
        check.evaluate(ModerationScores(source="t", scores=full, request_ids=["r1"]), {}),
        check.evaluate(ModerationScores(source="t", scores={**full, "violence": 0.9}, flagged=True), {"violence": 0.2}),
        check.evaluate(ModerationScores(source="local", scores={"sexual": 0.1}), {}),
        check.evaluate(ModerationScores(source="local", scores={"sexual": 0.1}), {}, "block"),
    ]
    statuses = [r.status for r in results]
    assert statuses == [
        CheckStatus.not_checked,
        CheckStatus.not_checked,
        CheckStatus.passed,
        CheckStatus.failed,
        CheckStatus.passed,
        CheckStatus.not_checked,
    ]
    for res in results:
        strict_details(res)
    model = ModerationCheck.info.details(results[4])
    assert isinstance(model, ModerationDetails) and model.warning and "violence" in model.not_checked_categories


def test_credentials_details_in_every_state(spec: BrandSpec) -> None:
    image = _poster()
    chain = make_chain("details signer")
    signed = sign_image(
        context(spec, image, CheckResources()).data,
        CredentialSigner(chain.chain_pem, chain.key_pem),
        actions=[{"action": "c2pa.created", "digitalSourceType": TRAINED}],
        assertion={},
        title="poster.png",
    )
    resources = CheckResources()
    resources.put("credentials.trust_anchors", chain.ca_pem)
    cases = [
        (context(spec, image, CheckResources(), credentials_on_return="signed"), CheckStatus.passed),
        (context(spec, image, CheckResources(), credentials_on_return="unsigned"), CheckStatus.failed),
        (context(spec, image, CheckResources()), CheckStatus.failed),
        (context(spec, image, resources, data=signed), CheckStatus.passed),
        (context(spec, image, CheckResources(), data=signed[:-200] + bytes(200)), CheckStatus.failed),
    ]
    for ctx, want in cases:
        res = CredentialsCheck().run(ctx)
        assert res.status is want, res.details
        strict_details(res)
    model = CredentialsCheck.info.details(CredentialsCheck().run(cases[3][0]))
    assert isinstance(model, CredentialsDetails) and model.state == "trusted" and model.signer


def test_palette_details_in_every_state(spec: BrandSpec) -> None:
    cases = [
        (context(spec, Image.new("RGBA", (64, 64), (0, 0, 0, 0)), CheckResources()), CheckStatus.skipped),
        (context(spec, _poster(*GOOD), CheckResources()), None),
        (context(spec, _poster(background="#3FA34D"), CheckResources()), CheckStatus.failed),
        (context(spec, _poster(*GOOD), CheckResources(), photo_box=(0, 600, 1024, 1024)), None),
    ]
    for ctx, want in cases:
        res = PaletteCheck().run(ctx)
        if want is not None:
            assert res.status is want, res.details
        strict_details(res)


def test_a_check_that_raises_reads_as_base_details(spec: BrandSpec) -> None:
    class Boom(TechnicalCheck):
        def run(self, ctx: Any) -> CheckResult:
            raise RuntimeError("boom")

    report = run_checks(context(spec, _poster(), CheckResources()), [Boom()])
    res = report.checks["technical"]
    assert res.status is CheckStatus.not_checked
    assert strict_details(res).why() == "RuntimeError: boom"
