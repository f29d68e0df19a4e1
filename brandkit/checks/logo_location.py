"""Where the logo check located the brand's logo on an image: a per-image reading another check may use.

The logo check records the box of the logo it found (:func:`record_logo`, in the image's
:meth:`~brandkit.checks.base.CheckContext.memo`); the contrast check reads it (:func:`located_logo`) to leave the
text *of the logo* out when it measures every line of text on an image without expected copy — WCAG 1.4.3 exempts
logotypes, and OCR reads a letter or two inside a logo mark (the Ubuntu circle of friends reads as "u", white on
orange: 3.6:1). Like the OCR reading, it lives outside the check modules, which never import each other.

Only a logo the check *found* is recorded; the reading exists once the logo check has run on the image (it runs
before the contrast check in :func:`~brandkit.checks.registry.default_checks`); a check that reads it earlier, or
with the logo check disabled, gets ``None`` and measures everything, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from brandkit.checks.base import CheckContext
from brandkit.geometry import PixelBox

__all__ = ["LOGO_LOCATION_MEMO_KEY", "LogoLocation", "located_logo", "record_logo"]

LOGO_LOCATION_MEMO_KEY = "logo:location"
"""Key of the :class:`LogoLocation` in the image's memo."""


@dataclass(frozen=True)
class LogoLocation:
    """The logo the logo check found: its variant and its box (x0, y0, x1, y1) in image pixels."""

    variant: str
    box: PixelBox

    def holds(self, box: PixelBox) -> bool:
        """True when the centre of ``box`` (a line of text) lies inside the logo's box."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        x0, y0, x1, y1 = self.box
        return x0 <= cx <= x1 and y0 <= cy <= y1


def record_logo(ctx: CheckContext, location: LogoLocation) -> None:
    """Record where the logo was found on ``ctx``'s image (the first record stands)."""
    ctx.memo(LOGO_LOCATION_MEMO_KEY, lambda: location)


def located_logo(ctx: CheckContext) -> LogoLocation | None:
    """The logo located on ``ctx``'s image by the logo check, ``None`` when it found none or has not run."""
    found = ctx.memoised(LOGO_LOCATION_MEMO_KEY)
    return found if isinstance(found, LogoLocation) else None
