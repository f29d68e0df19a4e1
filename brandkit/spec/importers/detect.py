"""Which brand format a file is: moved to :mod:`brandkit.spec.formats` (the loader uses it, the importers build on
it); this path re-exports it."""

from __future__ import annotations

from brandkit.spec.formats import (
    FORMAT_TITLES,
    MAX_DETECT_BYTES,
    FormatDetectionError,
    FormatName,
    detect_data,
    detect_path,
    foreign_folder_hint,
    foreign_format_error,
)

__all__ = [
    "FORMAT_TITLES",
    "MAX_DETECT_BYTES",
    "FormatDetectionError",
    "FormatName",
    "detect_data",
    "detect_path",
    "foreign_folder_hint",
    "foreign_format_error",
]
