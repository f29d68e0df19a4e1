"""Moderators that can take the decoded image, and the one call the pipeline's drivers make.

A :class:`~brandkit.provider.base.Moderator` is handed encoded bytes (a remote service needs them). A local
classifier works on pixels: when the pipeline already holds the decoded image, decoding the bytes again costs
~15 ms per megapixel. Such a moderator also implements :class:`ModeratesDecoded`; :func:`moderate` and
:func:`amoderate` pick the decoded path when the moderator offers it and the image is at hand (checked with
``isinstance``, never by probing attributes), else the bytes path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from brandkit.moderation_scores import ModerationScores

if TYPE_CHECKING:
    from PIL import Image

    from brandkit.provider.base import Moderator

__all__ = ["ModeratesDecoded", "amoderate", "moderate"]


@runtime_checkable
class ModeratesDecoded(Protocol):
    """A moderator that scores an already decoded image (no second decode of the bytes)."""

    def moderate_image(self, image: Image.Image, text: str) -> ModerationScores:
        """Score the decoded ``image`` and ``text`` (same result as ``moderate`` on its encoded bytes)."""
        ...

    async def amoderate_image(self, image: Image.Image, text: str) -> ModerationScores:
        """Async twin of :meth:`moderate_image`."""
        ...


def moderate(
    moderator: Moderator, image: bytes, mime: str, text: str, decoded: Image.Image | None = None
) -> ModerationScores:
    """Score one image: the decoded form when given and the moderator takes it, else the bytes."""
    if decoded is not None and isinstance(moderator, ModeratesDecoded):
        return moderator.moderate_image(decoded, text)
    return moderator.moderate(image, mime, text)


async def amoderate(
    moderator: Moderator, image: bytes, mime: str, text: str, decoded: Image.Image | None = None
) -> ModerationScores:
    """Async twin of :func:`moderate`."""
    if decoded is not None and isinstance(moderator, ModeratesDecoded):
        return await moderator.amoderate_image(decoded, text)
    return await moderator.amoderate(image, mime, text)
