"""Report files for ``brandkit validate --report PATH``: where each image's report goes, and writing it.

``PATH`` ending in ``.html`` or ``.json`` is the report file (one image only). Otherwise it is a folder (made if
missing; a name ending in ``.html`` / ``.json`` is refused with several images) that gets, per image,
``<stem>.html`` and ``<stem>.json`` (``--report-format native``) or ``<stem>.adcp.json`` (``adcp``) — for one image
too, so a script's ``--report reports/`` works whatever the number of files; two images with the same stem are
refused before anything is checked.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from brandkit.checks.base import CheckResources
from brandkit.errors import RequestError
from brandkit.evidence.output import REPORT_FORMATS, check_report_options, write_report
from brandkit.evidence.verify import build_verification
from brandkit.imageio import read_bytes
from brandkit.models import AssetRequest, ValidationReport
from brandkit.spec.models import BrandSpec
from brandkit.validate_many import validation_request


def plan_reports(path: str | os.PathLike[str], images: Sequence[Path], fmt: str) -> list[list[Path]]:
    """The report files of each image (in ``images`` order); :class:`~brandkit.RequestError` for a bad plan."""
    target = Path(path)
    if len(images) == 1 and (target.suffix or target.is_file()) and not target.is_dir():
        check_report_options(target, fmt)  # a file: .html or .json (another suffix is refused, naming it)
        return [[target]]
    if fmt not in REPORT_FORMATS:
        check_report_options(target.with_suffix(".json"), fmt)  # raises naming the known formats
    if target.suffix.lower() in (".html", ".htm", ".json") or target.is_file():
        raise RequestError(
            f"--report {os.fspath(target)!r}: with {len(images)} images the report goes into a folder (one report "
            "per image); give a folder path",
            field="report",
            value=os.fspath(target),
        )
    seen: dict[str, Path] = {}
    for image in images:
        if image.stem in seen and seen[image.stem] != image:
            raise RequestError(
                f"--report: {seen[image.stem]} and {image} would both write {image.stem}.* in {target}; validate "
                "them in separate runs",
                field="report",
                value=image.stem,
            )
        seen[image.stem] = image
    names = [".adcp.json"] if fmt == "adcp" else [".html", ".json"]
    return [[target / f"{image.stem}{suffix}" for suffix in names] for image in images]


class ReportWriter:
    """Writes each validated image's verification report where :func:`plan_reports` put it.

    Owns the check resources its reports share (the heat map's palette tables: built once for the run).
    ``expected``: the copy the caller gave (``validate --headline …``) and ``spec_format`` its format (else the
    spec's of each image's size), as ``validate`` checked the images.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        images: Sequence[Path],
        fmt: str,
        *,
        expected: AssetRequest | None = None,
        spec_format: str | None = None,
    ) -> None:
        self.targets = plan_reports(path, images, fmt)
        self.fmt = fmt
        self.expected = expected
        self.spec_format = spec_format
        self._resources = CheckResources()

    def write(self, spec: BrandSpec, index: int, image: Path, report: ValidationReport) -> list[Path]:
        """Build image ``index``'s verification report from its validation ``report``; write it; the files."""
        data = read_bytes(image)
        request = (
            validation_request(spec, image, self.expected, self.spec_format) if self.expected is not None else None
        )
        verification = build_verification(
            spec, data, report, request=request, source=os.fspath(image), resources=self._resources
        )
        return [write_report(verification, target, data, fmt=self.fmt) for target in self.targets[index]]


__all__ = ["ReportWriter", "plan_reports"]
