"""Conversational editing: refine one on-brand image over several turns (``BrandKit.conversation()``).

Every turn's image goes through the same compose / checks / repair path as ``generate``; turns are chained by the
provider's response ids; partial images stream through a callback or ``AsyncConversation.stream``; the spend of
every turn is summed and a conversation budget is enforced before the next turn. See docs/conversation.md.
"""

from __future__ import annotations

from brandkit.conversation.models import TurnOutcome, TurnRecorder
from brandkit.conversation.session import AsyncConversation, Conversation
from brandkit.provider.conversation import PartialImage, TurnUsage

__all__ = [
    "AsyncConversation",
    "Conversation",
    "PartialImage",
    "TurnOutcome",
    "TurnRecorder",
    "TurnUsage",
]
