"""Moved to :mod:`brandkit.cli.variants` (issue 14); this name is kept so old imports keep working."""

from brandkit.cli.variants import register

__all__ = ["register"]
