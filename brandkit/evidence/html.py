"""The standalone HTML verification report: one file, images embedded as data URLs, no network, works offline.

The image is shown with toggleable overlays drawn over it — the off-palette heat map (a PNG of the image's size)
and, in one SVG in image coordinates, the OCR boxes (green: the expected copy as ordered, red: not as ordered,
amber: unexpected text), the logo box with its clear-space zone, the contrast measurement boxes and the
photographic region — then the findings table with severities, the score, and each check's evidence. Rendered
from ``templates/verification.html`` with jinja2 autoescape: every value from the image (OCR text included) is
escaped as data.
"""

from __future__ import annotations

import base64

import jinja2

from brandkit.evidence.models import VerificationReport
from brandkit.evidence.scoring import SEVERITY_ORDER
from brandkit.imageio import detect_format

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}


def _environment() -> jinja2.Environment:
    """The report's template environment (built per page: no module-level state; autoescape on)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("brandkit.evidence", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def render_html(report: VerificationReport, image: bytes) -> str:
    """The report as one standalone HTML page; ``image`` is the checked file's encoded bytes (embedded)."""
    fmt = detect_format(image) or "png"
    palette = report.checks.get("palette")
    heat = palette.palette if palette is not None else None
    text = report.checks.get("text")
    logo = report.checks.get("logo")
    contrast = report.checks.get("contrast")
    template = _environment().get_template("verification.html")
    return template.render(
        report=report,
        image_url=_data_url(image, _MIME.get(fmt, "application/octet-stream")),
        heatmap_url=_data_url(heat.png(), "image/png") if heat is not None else None,
        heat=heat,
        text=text.text if text is not None else None,
        logo=logo.logo if logo is not None else None,
        contrast=contrast.contrast if contrast is not None else [],
        severities=SEVERITY_ORDER,
        score_pct=None if report.score.value is None else round(report.score.value * 100, 1),
    )


__all__ = ["render_html"]
