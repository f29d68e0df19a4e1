"""Where ``generate`` and ``edit`` save: ``--out`` names a folder, or the image file itself.

``-o out`` (a folder) saves under a name made from the spec and format (``northwind-square.png``);
``-o banner.jpg`` — a path ending in an image extension that is not an existing folder — saves ``banner.jpg``
(and ``banner-2.jpg``… for more variants) in its folder, and the extension chooses the format
(:data:`IMAGE_SUFFIXES`). Before this, ``-o banner.png`` made a *folder* ``banner.png/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from brandkit.errors import OutputError

__all__ = ["IMAGE_SUFFIXES", "OutputTarget", "output_target"]

IMAGE_SUFFIXES: dict[str, str] = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}
"""The image extensions ``--out`` may end with, and the output format each one means."""


@dataclass(frozen=True)
class OutputTarget:
    """The folder images are saved in and, when ``--out`` named a file, that file's stem and extension."""

    folder: Path
    stem: str | None = None
    suffix: str | None = None

    @property
    def image_format(self) -> str | None:
        """The output format the file's extension asks for (``None``: ``--out`` is a folder)."""
        return None if self.suffix is None else IMAGE_SUFFIXES[self.suffix.lower()]

    def name(self, default_stem: str, index: int, count: int) -> tuple[str, str]:
        """Stem and extension of variant ``index`` (0-based) of ``count``: the file's own name for one image,
        ``stem-1``, ``stem-2``… for several; ``default_stem`` and the format's extension (``""``: the asset's own)
        when ``--out`` is a folder."""
        stem = self.stem if self.stem is not None else default_stem
        return (stem if count == 1 else f"{stem}-{index + 1}"), (self.suffix or "")

    def check_format(self, output_format: str) -> None:
        """Refuse, before anything is paid, a file name whose extension is not ``output_format``'s."""
        wanted = self.image_format
        if wanted is None or wanted == output_format:
            return
        from brandkit.outputs import image_extension

        right = image_extension(output_format)
        path = self.folder / f"{self.stem}{self.suffix}"
        raise OutputError(
            f"{path}: the image will be {output_format.upper()}, not what {self.suffix!r} names; name the file "
            f"with {right!r}, or give a folder",
            path=str(path),
        )


def output_target(out: Path) -> OutputTarget:
    """What ``--out`` names: a folder, or — ending in ``.png``/``.jpg``/``.jpeg``/``.webp`` and not an existing
    folder — the image file."""
    if out.suffix.lower() not in IMAGE_SUFFIXES or out.is_dir():
        return OutputTarget(out)
    return OutputTarget(out.parent, out.stem, out.suffix)
