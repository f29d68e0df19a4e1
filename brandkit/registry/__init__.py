"""The asset registry: every asset recorded, reviewed and measured (see ``docs/review.md``)."""

from brandkit.registry.models import (
    AssetDetail,
    AssetFilter,
    AssetPage,
    AssetRow,
    AttemptRow,
    Metrics,
    ReviewEvent,
    ReviewState,
)
from brandkit.registry.recorder import RegistryRecorder
from brandkit.registry.store import DB_ENV, DB_NAME, Registry, default_db_path

__all__ = [
    "DB_ENV",
    "DB_NAME",
    "AssetDetail",
    "AssetFilter",
    "AssetPage",
    "AssetRow",
    "AttemptRow",
    "Metrics",
    "Registry",
    "RegistryRecorder",
    "ReviewEvent",
    "ReviewState",
    "default_db_path",
]
