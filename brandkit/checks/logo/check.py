"""``LogoCheck``: find the expected logo variant and judge it by the spec's rules (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from brandkit.checks.base import CheckContext, CheckInfo, in_the_image, limit_pct, result, said
from brandkit.checks.logo.colour import colour_reading
from brandkit.checks.logo.constants import (
    SEARCH_MAX_WIDTH_SHARE,
    SEARCH_MIN_WIDTH_SHARE,
    TEMPLATE_THRESHOLD,
    VARIANT_COLOUR_MARGIN,
    WIDTH_TOLERANCE,
)
from brandkit.checks.logo.details import LogoDetails
from brandkit.checks.logo.detection import detect_logo
from brandkit.checks.logo.features_cache import prepared_for_spec
from brandkit.checks.logo.ground import ground_reading
from brandkit.checks.logo.prepare import PreparedLogo, backdrop_shows, grey_scene
from brandkit.checks.logo.rules import clear_space_problem, distortion_problem, placement_of, placement_regions
from brandkit.checks.logo.scene import LogoScene
from brandkit.checks.logo.variants import closest_colours, colour_gap
from brandkit.checks.logo.variants import rival as _rival
from brandkit.checks.logo_location import LogoLocation, record_logo
from brandkit.checks.opencv_threads import OpenCvThreads
from brandkit.geometry import PixelBox
from brandkit.models import CheckResult, CheckStatus, Measure
from brandkit.spec.models import LogoVariant


class LogoCheck:
    """Find the expected logo variant and enforce the spec's logo rules (see the module docstring).

    ``require_edge_margin``: the clear-space band must also fit inside the image.
    """

    info: ClassVar[CheckInfo] = CheckInfo.builtin("logo", LogoDetails)
    name = info.name

    def __init__(self, *, require_edge_margin: bool = True) -> None:
        self.require_edge_margin = require_edge_margin

    def _prepared(self, ctx: CheckContext, logo: LogoVariant, backdrop: int) -> PreparedLogo:
        # once per kit; across processes through the warm disk cache (what warm_logo fills)
        return prepared_for_spec(ctx.spec, ctx.resources, logo, backdrop)

    def run(self, ctx: CheckContext) -> CheckResult:
        """Detect the logo in ``ctx.image`` and check size, placement, distortion and clear space.

        A file with no provenance and no request (``expectation.copy_source == "none"``) of a brand that has
        logos is searched for every variant anywhere (see :meth:`_search_anywhere`): never ``skipped``.
        """
        variant = ctx.expectation.logo_variant
        if variant is None and not (ctx.expectation.copy_source == "none" and ctx.spec.logos):
            return result(self.name, CheckStatus.skipped, details={"reason": "no logo variant expected"})
        # OpenCV single-threaded while the check runs: its thread pool costs CPU and saves no time here
        with OpenCvThreads.of(ctx.resources).single():
            if variant is None:
                outcome = self._search_anywhere(ctx, _Scenes(ctx, share=len(ctx.spec.logos) > 1))
            else:
                outcome = self._check_variant(ctx, variant, _Scenes(ctx, share=False))
        found = LogoDetails.model_validate(outcome.details)
        if found.found and found.box is not None and found.variant is not None and len(found.box) == 4:
            x0, y0, x1, y1 = found.box
            record_logo(ctx, LogoLocation(found.variant, (x0, y0, x1, y1)))  # the contrast check exempts its text
        return outcome

    def _search_anywhere(self, ctx: CheckContext, scenes: _Scenes) -> CheckResult:
        """No provenance: which variant was ordered and where the layout put it are unknown.

        Every variant of the spec is searched for on the whole image; the best one found is judged by the spec's
        rules (size, allowed placements, distortion, clear space). None found: ``failed`` (the spec demands a
        logo). The details say what could not be known.

        Two passes, the image's scene work shared by the variants (:class:`~brandkit.checks.logo.scene.LogoScene`):
        first ORB on the whole scene for every variant (the scene's keypoints computed once), where a logo of the
        allowed sizes is found when it is plain to see — a variant found there within the rules ends the search;
        then the full search (coarse-to-fine template matching, upsampled ORB), variant by variant in the spec's
        order (the first pass's readings reused), until one is found within the rules.
        """
        unknown = "no provenance: the expected logo variant and placement are unknown"
        searched = [logo.variant for logo in ctx.spec.logos]
        readings: list[CheckResult] = []  # every variant's reading so far, both passes: a pass can be overruled
        outcomes: list[CheckResult] = []
        for variant in searched:  # the fast pass
            quick = self._check_variant(ctx, variant, scenes, fast=True)
            readings.append(quick)
            if quick.status is CheckStatus.passed and _rival(quick, readings) is None:
                outcomes = [quick]
                break
        else:
            for variant in searched:  # in the spec's order; the first variant found within the rules ends it
                outcomes.append(self._check_variant(ctx, variant, scenes))
                readings.append(outcomes[-1])
                if outcomes[-1].status is CheckStatus.passed and _rival(outcomes[-1], readings) is None:
                    break
        found = [o for o in outcomes if o.details.get("found")]
        if not found:
            worst = next((o for o in outcomes if o.status is CheckStatus.not_checked), None)
            if worst is not None:  # an engine or file problem: say so rather than claim absence
                worst.details.update(provenance="none", searched_variants=searched)
                return worst
            variants = " or ".join(f"'{v}'" for v in searched)
            return result(
                self.name,
                CheckStatus.failed,
                score=0.0,
                threshold=TEMPLATE_THRESHOLD,
                details={
                    "found": False,
                    "provenance": "none",
                    "searched_variants": searched,
                    "searches": {
                        str(o.details.get("variant")): o.details["detection"]
                        for o in outcomes
                        if o.details.get("detection") is not None
                    },
                    "reason": f"{unknown}; searched every variant (ORB on the whole image, the template search where "
                    "the variant's placements allow it) and found none",
                },
                hint=f"the brand's logo ({variants}) must appear on the image at one of its allowed placements; none "
                "was found there",
            )
        overruled = {id(o): o for o in readings if o.status is CheckStatus.passed and _rival(o, readings) is not None}
        best = max(found, key=lambda o: (o.status is CheckStatus.passed and id(o) not in overruled, o.score or 0.0))
        best = self._fitting_variant(ctx, best, searched, scenes)
        best.details.update(
            provenance="none",
            searched_variants=searched,
            reason=f"{unknown}; searched the whole image, found '{best.details.get('variant')}' and judged it by "
            "the spec's rules",
        )
        if overruled and best.status is not CheckStatus.passed:
            names = sorted({str(o.details.get("variant")) for o in overruled.values()})
            best.details["overruled"] = names
            best.details["reason"] += (
                f"; {' and '.join(repr(n) for n in names)} read the same logo undistorted, less well than "
                "another variant reads it distorted: the better reading decides"
            )
        return best

    def _fitting_variant(
        self, ctx: CheckContext, best: CheckResult, searched: Sequence[str], scenes: _Scenes
    ) -> CheckResult:
        """The reading of the variant whose colours fit the logo found best
        (:func:`~brandkit.checks.logo.variants.closest_colours`). A brand's variants share a shape, so the first
        one found need not be the one on the image (a colour wordmark read as its one-colour version). Only when the
        found variant's colours are off by more than :data:`VARIANT_COLOUR_MARGIN` can another fit better by it:
        each other variant's colours are then read at the box (a crop, no search), and those that could fit better
        are read there in full — their shape verified, their rules applied."""
        mine = LogoDetails.model_validate(best.details)
        gap = colour_gap(best)
        if mine.box is None or len(mine.box) != 4 or gap is None or gap <= VARIANT_COLOUR_MARGIN:
            return best
        x0, y0, x1, y1 = mine.box
        box = (x0, y0, x1, y1)
        others = []
        for variant in searched:
            if variant == mine.variant:
                continue
            try:
                prepared = self._prepared(ctx, ctx.spec.logo(variant), _backdrop(ctx, variant))
            except Exception:  # an unusable file: its own search already said so (not_checked)
                continue
            worst = colour_reading(ctx.image, prepared.colour_labels, prepared.colours, box).worst
            if worst is not None and worst[1] + VARIANT_COLOUR_MARGIN < gap:
                others.append(self._check_variant(ctx, variant, scenes, at=box))
        return closest_colours(best, others)

    def _check_variant(
        self, ctx: CheckContext, variant: str, scenes: _Scenes, fast: bool = False, at: PixelBox | None = None
    ) -> CheckResult:
        """Detect logo ``variant`` and judge it (the body of :meth:`run`); ``fast``: ORB on the whole scene only
        (the first pass of :meth:`_search_anywhere`); ``at``: only where another variant was found (its visible
        box, :meth:`_fitting_variant`)."""
        try:
            logo = ctx.spec.logo(variant)
        except KeyError as exc:
            return result(self.name, CheckStatus.not_checked, details={"reason": str(exc.args[0]), "variant": variant})
        try:
            import cv2  # noqa: F401 - availability probe
        except ImportError as exc:
            return result(
                self.name,
                CheckStatus.not_checked,
                details={"reason": f"OpenCV unavailable: {exc}", "variant": variant},
            )
        backdrop = _backdrop(ctx, variant)
        try:
            prepared = self._prepared(ctx, logo, backdrop)
        except Exception as exc:  # unreadable logo file: cannot check, fail closed
            return result(
                self.name,
                CheckStatus.not_checked,
                details={"reason": f"logo file {logo.file!r} unusable: {type(exc).__name__}: {exc}"},
            )

        width, height = ctx.image.size
        shared = scenes.of(backdrop)
        scene = shared.grey
        # the size rule is in the file's pixels: a file read reduced (a print master) shows its logo smaller
        file_scale = ctx.expectation.file_scale((width, height))
        min_width = logo.min_width_px / file_scale  # in the pixels of the image searched
        search_min = SEARCH_MIN_WIDTH_SHARE * min_width / prepared.trim_scale
        search_max = max(search_min, min(0.95 * width, SEARCH_MAX_WIDTH_SHARE * logo.max_width_share * width))
        # the visible widths that can pass the size rule (the search goes below and above them, to say why not)
        sized = (
            min_width * (1.0 - WIDTH_TOLERANCE) / prepared.trim_scale,
            logo.max_width_share * width * (1.0 + WIDTH_TOLERANCE) / prepared.trim_scale,
        )
        # the layout's logo box, scaled to the image when the file was resized or read reduced
        expected = ctx.expectation.logo_box
        look_at = None if expected is None else ctx.expectation.in_image(expected, (width, height))
        if at is not None:  # the file's box around the visible box found, as compose would have placed it
            half_w, half_h = (at[2] - at[0]) * prepared.trim_scale / 2, (at[3] - at[1]) / 2
            cx, cy = (at[0] + at[2]) / 2, (at[1] + at[3]) / 2
            look_at = (round(cx - half_w), round(cy - half_h), round(cx + half_w), round(cy + half_h))
        detection, info = detect_logo(
            scene,
            prepared,
            search_min,
            search_max,
            look_at,
            shared=shared,
            fast_only=fast,
            sized=sized,
            centres=placement_regions(logo.placements, width, height),
            box_only=at is not None,
        )
        placements = ", ".join(logo.placements)
        wanted = (
            f"the logo '{variant}' must appear {' or '.join(logo.placements)} "
            f"at ≥ {logo.min_width_px} px wide with clear space of {limit_pct(logo.clear_space)} of its height"
        )
        rules: dict[str, Any] = {
            "min_width_px": logo.min_width_px,
            "max_width_share": logo.max_width_share,
            "clear_space": logo.clear_space,
            "placements": list(logo.placements),
        }
        details: dict[str, Any] = {"variant": variant, "rules": rules, "detection": info}
        if detection is None:
            details["found"] = False
            return result(
                self.name,
                CheckStatus.failed,
                score=0.0,
                threshold=TEMPLATE_THRESHOLD,
                details=details,
                hint=f"{wanted}; it was not found in those places {in_the_image(ctx.expectation)}",
            )

        details["found"] = True
        details.update(detection.as_details())
        problems: list[str] = []
        failed: list[str] = []

        # distortion
        distortion = distortion_problem(detection, variant)
        details["distorted"] = distortion is not None
        if distortion is not None:
            failed.append("distorted")
            problems.append(distortion)

        # colour: the file's colours where the logo was found (its shape is matched in grey)
        colour = colour_reading(
            ctx.image, prepared.colour_labels, prepared.colours, detection.box, detection.rotation_deg
        )
        details["colour"] = colour.as_details()
        recolour = colour.problem(variant, in_the_image(ctx.expectation))
        if recolour is not None:
            failed.append("recoloured")
            problems.append(recolour)

        # size: in widths of the whole logo file, as the compose stage sizes it, in the file's pixels
        rendered = detection.width * prepared.trim_scale * file_scale
        max_width = logo.max_width_share * width * file_scale
        if file_scale != 1.0:
            details["file_scale"] = round(file_scale, 5)
        details["rendered_width_px"] = round(rendered, 1)
        details["scale"] = round(rendered / (prepared.source_size[0] * prepared.trim_scale), 4)
        details["max_width_px"] = round(max_width, 1)
        index = ctx.spec.logos.index(logo)
        measures = [
            Measure(
                setting=f"logos[{index}].min_width_px",
                label=f"rendered width of the logo '{variant}' (px)",
                value=round(rendered, 1),
                threshold=logo.min_width_px,
                bound="min",
                step=4,
                lower=8,
            ),
            Measure(
                setting=f"logos[{index}].max_width_share",
                label=f"width of the logo '{variant}' as a share of the image width",
                value=round(rendered / (width * file_scale), 4),
                threshold=logo.max_width_share,
                bound="max",
                step=0.01,
                lower=0.01,
                upper=1.0,
            ),
        ]
        if rendered < logo.min_width_px * (1.0 - WIDTH_TOLERANCE):
            failed.append("too_small")
            problems.append(
                f"the logo '{variant}' must be at least {logo.min_width_px} px wide; "
                f"it {said(ctx.expectation, 'was', 'is')} {rendered:.0f} px {in_the_image(ctx.expectation)}"
            )
        if rendered > max_width * (1.0 + WIDTH_TOLERANCE):
            failed.append("too_large")
            problems.append(
                f"the logo '{variant}' may be at most {limit_pct(logo.max_width_share)} of the image width "
                f"({max_width:.0f} px); it was {rendered:.0f} px"
            )

        # placement
        x0, y0, x1, y1 = detection.box
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        where = placement_of(cx, cy, width, height)
        details["placement"] = where
        details["center"] = [round(cx, 1), round(cy, 1)]
        if where not in logo.placements:
            failed.append("misplaced")
            problems.append(f"the logo '{variant}' must be placed {placements}; it was found {where}")

        # clear space
        crowding = clear_space_problem(scene, detection, logo, self.require_edge_margin, in_the_image(ctx.expectation))
        if crowding is not None:
            details["clear_space"], problem = crowding
            if problem is not None:
                failed.append("crowded")
                problems.append(problem)

        # ground: a transparent logo on the tone its variant is made for (an opaque file brings its own plate)
        see_through = bool(prepared.alpha.min() <= 127)  # its alpha, not its mask: a one-colour mark's is the whole box
        ground = ground_reading(ctx.image, detection.box, ctx.spec, variant) if see_through else None
        if ground is not None:
            details["ground"] = ground.as_details()
            wrong = ground.problem(ctx.spec, variant, in_the_image(ctx.expectation))
            if wrong is not None:
                failed.append("wrong_ground")
                problems.append(wrong)
        details["failed_rules"] = failed
        if problems:
            return result(
                self.name,
                CheckStatus.failed,
                score=round(detection.score, 4),
                threshold=TEMPLATE_THRESHOLD,
                details=details,
                hint="; ".join(problems),
                measures=measures,
            )
        return result(
            self.name,
            CheckStatus.passed,
            score=round(detection.score, 4),
            threshold=TEMPLATE_THRESHOLD,
            details=details,
            measures=measures,
        )


def _backdrop(ctx: CheckContext, variant: str) -> int:
    """The grey a variant's transparent pixels are composited over: the canvas's tone — the layout's when known, else
    the tone the variant is made for (an inverse logo over white would lose its light strokes' edges)."""
    tone = ctx.expectation.background_tone or ctx.spec.logo_tone(variant)
    return 0 if tone == "dark" else 255


class _Scenes:
    """The image's :class:`~brandkit.checks.logo.scene.LogoScene` per backdrop tone, for one run of the check
    (dropped with it: nothing of the image is kept for the checks after it). ``share``: several variants will be
    searched, so the coarse levels keep their window sums per mask for the next variant.

    The backdrop only changes the grey scene where the image has see-through pixels
    (:func:`~brandkit.checks.logo.prepare.backdrop_shows`): an opaque image — every photograph, every ad — has one
    scene, which the variants made for a dark canvas share with the others (the inverse variant no longer computes
    the scene's ORB keypoints and coarse levels a second time on the same grey pixels)."""

    def __init__(self, ctx: CheckContext, *, share: bool) -> None:
        self._ctx = ctx
        self._share = share
        self._scenes: dict[int | None, LogoScene] = {}
        self._shows: bool | None = None

    def of(self, backdrop: int) -> LogoScene:
        """The scene over ``backdrop`` (grey, built on first use; one for every backdrop of an opaque image)."""
        if self._shows is None:
            self._shows = backdrop_shows(self._ctx.image)
        key = backdrop if self._shows else None
        if key not in self._scenes:
            self._scenes[key] = LogoScene(grey_scene(self._ctx.image, backdrop), share=self._share)
        return self._scenes[key]
