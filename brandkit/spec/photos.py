"""The brand's photo library: the spec's ``photos:`` section.

A spec may carry a small library of the brand's own photographs. Each entry
names an image file and its licence file inside the spec folder (both
resolved and confined by the loader like logos and fonts), keywords
(``tags``) the local renderer matches against the brief, the focal point it
crops around, and optional format / orientation preferences. The renderer
that uses the library is :mod:`brandkit.provider.photo_library`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

PHOTO_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,59}$"
Orientation = Literal["any", "landscape", "portrait", "square"]


class _PhotoModel(BaseModel):
    """Same rules as every spec model: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)


class FocalPoint(_PhotoModel):
    """The point of a photograph that must stay in view when it is cropped, as shares of its width and height."""

    x: float = Field(ge=0.0, le=1.0, description="Horizontal position, 0 = left edge, 1 = right edge.")
    y: float = Field(ge=0.0, le=1.0, description="Vertical position, 0 = top edge, 1 = bottom edge.")


class Photo(_PhotoModel):
    """One photograph of the brand's own, with the keywords and crop rules the local renderer uses."""

    id: str = Field(pattern=PHOTO_ID_PATTERN, description="Stable id (lower case, digits, '-' or '_').")
    file: str = Field(description="JPEG, PNG or WebP file inside the spec folder.")
    license: str = Field(
        description="Licence file inside the spec folder stating the terms that allow the brand to use the photo."
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, description="Keywords matched against the brief and purpose (e.g. coffee, cup, morning)."
    )
    description: str = Field(default="", max_length=300, description="What the photo shows, in a sentence.")
    focal_point: FocalPoint = Field(
        default_factory=lambda: FocalPoint(x=0.5, y=0.5),
        description="Point kept inside the crop (shares of width and height; default the centre).",
    )
    formats: list[str] = Field(
        default_factory=list, description="Spec formats this photo is preferred for (empty: no preference)."
    )
    orientation: Orientation = Field(
        default="any", description="Hero-area shape it suits best: any, landscape, portrait or square."
    )
    source: str = Field(default="", max_length=300, description="Where the photo came from.")
    credit: str = Field(default="", max_length=200, description="Photographer or owner credit.")

    @field_validator("tags")
    @classmethod
    def _fold_tags(cls, tags: list[str]) -> list[str]:
        return [t.strip().casefold() for t in tags]


def _unique_ids(photos: list[Photo]) -> list[Photo]:
    counts = Counter(p.id for p in photos)
    dupes = sorted(i for i, k in counts.items() if k > 1)
    if dupes:
        raise ValueError(f"photo ids must be unique; repeated: {dupes}")
    return photos


PhotoLibrary = Annotated[list[Photo], AfterValidator(_unique_ids)]
"""The ``photos:`` list of a spec: unique ids."""


def photo_format_problems(photos: list[Photo], formats: Mapping[str, object]) -> list[str]:
    """Photos that prefer a format the spec does not define (one message each)."""
    problems = []
    for i, photo in enumerate(photos):
        unknown = sorted(set(photo.formats) - set(formats))
        if unknown:
            problems.append(f"photos[{i}] ({photo.id!r}): unknown formats {unknown}; known: {sorted(formats)}")
    return problems
