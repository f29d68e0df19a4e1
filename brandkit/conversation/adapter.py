"""One turn's provider: a :class:`~brandkit.provider.conversation.ConversationProvider` seen as an
:class:`~brandkit.provider.base.ImageProvider`, so the turn's image goes through the pipeline's repair loop
(compose, checks, repair) exactly like ``generate``.

Each :class:`~brandkit.models.RenderCall` of the loop becomes a :class:`TurnCall`: the brand rules as
``instructions`` (compiled once per conversation), the turn's message (instruction, changed copy and, on a repair
attempt, the checks' feedback), the reference images (the logo) on the conversation's first turn only, the image
tool's parameters from the compiled prompt, and ``previous_response_id`` = the last accepted turn's response —
repair attempts inside a turn chain from that same id. Each :class:`TurnResult` becomes a
:class:`~brandkit.models.RenderResult`; the adapter keeps every answer (the turn's usage, cost and the accepted
response id are read from them).
"""

from __future__ import annotations

from dataclasses import dataclass

from brandkit.models import RenderCall, RenderResult, Usage
from brandkit.provider.conversation import (
    ConversationProvider,
    ImageToolParams,
    PartialCallback,
    PartialImage,
    PricedConversationProvider,
    TurnCall,
    TurnImage,
    TurnResult,
)

__all__ = ["TurnAdapter", "TurnPlan"]


@dataclass(frozen=True)
class TurnPlan:
    """What every call of one turn shares."""

    instructions: str
    instruction: str  # what the provider is asked in words (copy changes read from it taken out)
    message: str  # the instruction and the changed copy, in words
    previous_response_id: str | None
    conversation_id: str | None = None  # a stored conversation (provider side), when the caller gave one
    model: str = "gpt-5"
    partial_images: int = 0
    safety_identifier: str | None = None
    asked: str = ""  # the turn's instruction as the caller gave it (recorded in the outcome and the asset's link)
    notes: tuple[str, ...] = ()  # what brandkit read from the instruction (copy changes), for the outcome


def tool_params(call: RenderCall, partial_images: int) -> ImageToolParams:
    """The ``image_generation`` tool's parameters of ``call``'s compiled prompt."""
    params = call.prompt.params
    return ImageToolParams(
        model=str(params.get("model", "gpt-image-2")),
        size=call.prompt.size,
        quality=params.get("quality", "auto"),
        output_format=params.get("output_format", "png"),
        output_compression=params.get("output_compression"),
        background=params.get("background", "auto"),
        moderation=params.get("moderation", "auto"),
        partial_images=partial_images,
    )


class TurnAdapter:
    """An :class:`~brandkit.provider.base.ImageProvider` (and ``PricedProvider``) for one turn."""

    def __init__(self, provider: ConversationProvider, plan: TurnPlan, on_partial: PartialCallback | None) -> None:
        self.provider = provider
        self.name = provider.name
        self.plan = plan
        self.results: list[TurnResult] = []
        self.partials = 0
        self._on_partial = on_partial

    def __repr__(self) -> str:
        return f"TurnAdapter({self.provider.name!r}, previous={self.plan.previous_response_id!r})"

    def turn_call(self, call: RenderCall) -> TurnCall:
        """The :class:`TurnCall` for one attempt of the turn."""
        plan = self.plan
        text = plan.message
        if call.prompt.feedback:
            text += "\nThe brand checks rejected the last image; fix this: " + " | ".join(call.prompt.feedback)
        first = plan.previous_response_id is None and plan.conversation_id is None
        images = [TurnImage(data=r.data, mime=r.mime, role=r.role) for r in call.prompt.references] if first else []
        return TurnCall(
            model=plan.model,
            instructions=plan.instructions,
            input_text=text,
            instruction=plan.instruction,
            input_images=images,
            previous_response_id=plan.previous_response_id,
            conversation_id=plan.conversation_id,
            tool=tool_params(call, plan.partial_images),
            prompt=call.prompt,
            attempt=call.attempt,
            seed=call.seed,
            safety_identifier=plan.safety_identifier,
        )

    def _partial(self, image: PartialImage) -> None:
        self.partials += 1
        if self._on_partial is not None:
            self._on_partial(image)

    def _answer(self, result: TurnResult) -> RenderResult:
        self.results.append(result)
        usage = result.usage
        return RenderResult(
            images=result.images,
            provider=result.provider,
            model=result.model,
            usage=None
            if usage is None
            else Usage(
                input_tokens=usage.input_text_tokens + usage.input_image_tokens,
                input_text_tokens=usage.input_text_tokens,
                input_image_tokens=usage.input_image_tokens,
                output_tokens=usage.output_text_tokens + usage.output_image_tokens,
                output_text_tokens=usage.output_text_tokens,
                output_image_tokens=usage.output_image_tokens,
            ),
            cost_usd=result.cost_usd,
            request_id=result.request_id or result.response_id,
            elapsed_s=result.elapsed_s,
            notes=list(result.notes),
            rate_limit=result.rate_limit,
        )

    def render(self, call: RenderCall) -> RenderResult:
        """One attempt of the turn, blocking."""
        return self._answer(self.provider.respond(self.turn_call(call), self._partial))

    async def arender(self, call: RenderCall) -> RenderResult:
        """One attempt of the turn, awaited."""
        return self._answer(await self.provider.arespond(self.turn_call(call), self._partial))

    def worst_case_cost(self, call: RenderCall) -> float | None:
        """The conversation provider's bound for this attempt; ``None`` when it states none."""
        if isinstance(self.provider, PricedConversationProvider):
            return self.provider.worst_case_cost(self.turn_call(call))
        return None

    @property
    def spent_usd(self) -> float:
        """What the turn's answered calls cost so far."""
        return sum(r.cost_usd for r in self.results)
