"""The logo check run as the pipeline runs it on a ``bench_checks`` poster, and a counter of logo preparations —
shared by the logo test files."""

from __future__ import annotations

import pytest
from PIL import Image

import brandkit.checks.logo.features_cache as features_module
from benchmarks.bench_checks import COPY
from brandkit.checks.base import CheckContext, CheckResources, Expectation
from brandkit.checks.logo import LogoCheck
from brandkit.imageio import encode_image
from brandkit.models import CheckResult
from brandkit.spec.models import BrandSpec


def run_logo_check(
    spec: BrandSpec,
    image: Image.Image,
    resources: CheckResources,
    *,
    tone: str = "light",
    box: tuple[int, int, int, int] | None = None,
) -> CheckResult:
    """The logo check on ``image`` (the poster's copy, the primary logo on a ``tone`` backdrop, the layout's
    logo ``box`` when known) with ``resources``."""
    exp = Expectation(
        width=image.width,
        height=image.height,
        output_format="png",
        transparent=False,
        copy_block=COPY,
        logo_variant="primary",
        background_tone=tone,
        logo_box=box,
    )
    ctx = CheckContext(spec=spec, image=image, data=encode_image(image, "png"), expectation=exp, resources=resources)
    return LogoCheck().run(ctx)


def count_logo_preparations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per call of ``prepare_logo`` from now on (the real preparation still runs)."""
    calls: list[int] = []
    real = features_module.prepare_logo

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(features_module, "prepare_logo", counting)
    return calls
