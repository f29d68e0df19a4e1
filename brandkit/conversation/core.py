"""The state and the turn of a conversation, shared by :class:`~brandkit.conversation.Conversation` (blocking)
and :class:`~brandkit.conversation.AsyncConversation` (awaitable): :class:`TurnSession`, whose turn is a flow of
the pipeline (a generator of effects) that the public classes drive with ``run_sync`` / ``run_async``.

A turn updates the conversation's current :class:`~brandkit.models.AssetRequest` with the fields it changes, runs
:func:`brandkit.pipeline.attempt_flow` (compile with the repair feedback → render → compose → checks → repair)
with a :class:`~brandkit.conversation.adapter.TurnAdapter` as the provider, and, once an attempt passes, links the
asset to the conversation (:class:`~brandkit.asset.ConversationLink`), saves it (when the conversation has an
``out`` folder) and records it with the previous turn's asset as parent (when it has a recorder). A turn that
fails the gates raises :class:`~brandkit.BrandViolationError` and does not advance the conversation; its spend is
counted all the same, and its best attempt (``error.asset``, linked to the conversation) is kept: saved as
``<name>-turn-NN-rejected`` in the ``out`` folder (``error.kept_path``) and recorded as failed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from brandkit.asset import Asset
from brandkit.asset_sidecar import ConversationLink
from brandkit.budget import Reservation, SpendBudget
from brandkit.compile import compile_prompt, recolour_instruction
from brandkit.conversation.adapter import TurnAdapter, TurnPlan
from brandkit.conversation.copy_edits import copy_edits
from brandkit.conversation.models import TurnOutcome, TurnRecorder, add_usage
from brandkit.errors import BrandViolationError, OutputError, OutputExistsError, RequestError
from brandkit.models import AssetRequest, CompiledPrompt, RenderCall
from brandkit.pipeline import Compute, Flow, KitContext, attempt_flow
from brandkit.provider.conversation import ConversationProvider, PartialCallback, TurnUsage
from brandkit.resources import KitResources

__all__ = ["TurnSession"]

_COPY_FIELDS = ("headline", "subhead", "cta", "disclaimers", "locale")


class TurnSession:
    """The state and the turn flow shared by :class:`Conversation` and :class:`AsyncConversation`."""

    def __init__(
        self,
        ctx: KitContext,
        resources: KitResources,
        provider: ConversationProvider,
        request: AssetRequest,
        *,
        max_spend_usd: float | None = None,
        turn_max_spend_usd: float | None = None,
        max_attempts: int | None = None,
        partial_images: int = 0,
        model: str = "gpt-5",
        out: str | Path | None = None,
        recorder: TurnRecorder | None = None,
        name: str | None = None,
        conversation_id: str | None = None,
        stored_conversation: str | None = None,
    ) -> None:
        if not 0 <= partial_images <= 3:
            raise RequestError(
                f"partial_images: {partial_images} is out of range (0–3)", field="partial_images", value=partial_images
            )
        if recorder is not None and out is None:
            raise RequestError(
                "recorder: recording a conversation needs out= (the folder its assets are saved in)", field="recorder"
            )
        if request.n != 1:
            raise RequestError(f"n: a conversation refines one image, got n={request.n}", field="n", value=request.n)
        self.ctx = ctx
        self.resources = resources
        self.provider = provider
        seed = request.seed if request.seed is not None else _seed(request)
        self.request = request.model_copy(update={"seed": seed})  # every turn keeps the first turn's imagery seed
        self.id = conversation_id or f"conv_{uuid.uuid4().hex[:16]}"
        self.budget = SpendBudget(max_spend_usd, label="conversation max_spend_usd")
        self.turn_max_spend_usd = turn_max_spend_usd
        self.max_attempts = max_attempts
        self.partial_images = partial_images
        self.model = model
        self.out = None if out is None else Path(out).absolute()  # a later chdir does not move the files
        self.recorder = recorder
        self.name = name or self.id
        self.stored_conversation = stored_conversation
        self.instructions: str | None = None
        self._instructions_mode: str | None = None  # the palette mode the instructions name the colours of
        self.turns: list[TurnOutcome] = []
        self.current: TurnOutcome | None = None  # the turn the next one refines (the last, unless gone back)
        self.usage = TurnUsage()
        self.notes: list[str] = []
        self._parent_row: int | None = None
        self._states: dict[int, tuple[AssetRequest, int | None]] = {}  # each turn's request and registry parent
        self._busy = False

    # --- state -------------------------------------------------------------------------------------------------

    @property
    def last_response_id(self) -> str | None:
        return self.current.response_id if self.current is not None else None

    def back_to(self, turn: int | None) -> TurnOutcome:
        """Make accepted turn ``turn`` (default: the turn the current one refined) the one the next turn refines:
        its image, request, response id and registry row. Nothing is sent or spent; later turns stay in
        ``turns`` (and on disk), and the next turn is numbered after them. Raises :class:`RequestError` for a turn
        that is not an accepted one, for going back from the first turn, while a turn runs, and in a provider-side
        stored conversation (it only appends)."""
        if self._busy:
            raise RequestError("a turn of this conversation is still running: wait for it", field="turn")
        if self.stored_conversation is not None:
            raise RequestError(
                f"stored_conversation {self.stored_conversation!r}: a provider-side conversation only appends; going "
                "back needs turns chained by response id (a conversation without stored_conversation)",
                field="stored_conversation",
                value=self.stored_conversation,
            )
        if self.current is None:
            raise RequestError("no turn yet: there is nothing to go back to", field="turn", value=turn)
        if turn is None:
            if self.current.parent_turn is None:
                raise RequestError(
                    f"turn {self.current.turn} is the first image: there is no earlier turn to go back to "
                    "(start a new conversation for a new first image)",
                    field="turn",
                    value=turn,
                )
            turn = self.current.parent_turn
        numbers = [outcome.turn for outcome in self.turns]
        if isinstance(turn, bool) or not isinstance(turn, int) or turn not in numbers:
            raise RequestError(
                f"turn: {turn!r} is not an accepted turn of this conversation (accepted: "
                f"{', '.join(map(str, numbers))})",
                field="turn",
                value=turn,
            )
        target = self.turns[numbers.index(turn)]
        self.current = target
        self.request, self._parent_row = self._states[target.turn]
        return target

    def _next_request(self, changes: dict[str, Any]) -> AssetRequest:
        if "n" in changes:
            raise RequestError("n: a conversation refines one image; n cannot change", field="n")
        fields = {**self.request.model_dump(), **changes}
        return AssetRequest(**fields)  # a bad or unknown field: RequestValidationError naming it

    def _message(self, instruction: str, request: AssetRequest) -> str:
        lines = [instruction.strip()] if instruction.strip() else []
        if not self.turns:
            lines.insert(0, "Create the image the instructions describe.")
        before, after = self.request.model_dump(), request.model_dump()
        for field in _COPY_FIELDS:
            if before[field] != after[field]:
                value = after[field]
                lines.append(f"Change the {field} to exactly: {value!r}" if value else f"Remove the {field}.")
        modes = [self.ctx.spec.for_mode(r["palette_mode"], field="palette_mode").mode for r in (before, after)]
        if self.turns and modes[0] != modes[1]:
            lines.append(recolour_instruction(modes[1], "in the instructions"))
        others = sorted(k for k in after if k not in (*_COPY_FIELDS, "palette_mode") and before[k] != after[k])
        if others:
            lines.append("Changed settings: " + ", ".join(others))
        return "\n".join(lines)

    # --- a turn ------------------------------------------------------------------------------------------------

    def begin(
        self, instruction: str, changes: dict[str, Any], on_partial: PartialCallback | None
    ) -> tuple[Flow[TurnOutcome], KitContext]:
        """The turn's flow and the context to drive it with (its provider is the turn's adapter).

        Checks happen here, before anything is sent: the changed request (typed errors), the conversation's
        spend budget (:class:`~brandkit.BudgetExceededError` when the next turn's worst case does not fit)."""
        if self._busy:
            raise RequestError("a turn of this conversation is still running: wait for it", field="turn")
        asked = instruction
        spec = self.ctx.spec
        # copy reworded in the words (and the tone or format asked for): the request changes, not only the picture
        edits = copy_edits(instruction, tuple(spec.formats), self.request.model_dump(), tuple(spec.palette.modes))
        for name, value in edits.changes.items():
            if name in changes and changes[name] != value:
                raise RequestError(
                    f"{name}: the instruction says {value!r} but {name}= says {changes[name]!r}: give one", field=name
                )
        changes = {**edits.changes, **changes}
        instruction = edits.rest
        request = self._next_request(changes)
        first_prompt = compile_prompt(spec, request)  # forbidden content, bad copy: raised before any call
        if self.instructions is None or first_prompt.spec_mode != self._instructions_mode:
            # the brand rules and the brief, compiled once — and again when a turn changes the palette mode
            self.instructions, self._instructions_mode = first_prompt.text, first_prompt.spec_mode
        current = self.current
        plan = TurnPlan(
            instructions=self.instructions,
            instruction=instruction,
            message=self._message(instruction, request),
            previous_response_id=self.last_response_id,
            conversation_id=self.stored_conversation,
            model=self.model,
            partial_images=self.partial_images,
            safety_identifier=request.safety_identifier,
            asked=asked,
            notes=tuple(edits.notes),
        )
        adapter = TurnAdapter(self.provider, plan, on_partial)
        number = len(self.turns) + 1  # after every accepted turn, those gone back from included
        reservation, limit = self._reserve(adapter, RenderCall(prompt=first_prompt, seed=request.seed or 0), number)
        self._busy = True
        # the flow prices and renders through the adapter, in the palette mode the request names (a turn may change it)
        turn_ctx = dataclasses.replace(self.ctx.in_mode(request.palette_mode), provider=adapter)
        return self._flow(turn_ctx, request, adapter, reservation, limit, number, current), turn_ctx

    def _reserve(self, adapter: TurnAdapter, call: RenderCall, number: int) -> tuple[Reservation | None, float | None]:
        """Hold the turn's first call's worst case on the conversation budget; the turn's own repair budget is
        what is left of it (and at most the spec's per-asset budget)."""
        budget = self.budget
        asset_limit = (
            self.turn_max_spend_usd if self.turn_max_spend_usd is not None else self.ctx.spec.repair.max_spend_usd
        )
        if budget.limit_usd is None:
            return None, asset_limit
        worst = adapter.worst_case_cost(call)
        if worst is None:
            if not budget.fits(0.0) or budget.spent_usd >= budget.limit_usd:
                raise budget.refusal(0.0, f"turn {number}")
            note = (
                f"provider {adapter.name!r} states no worst-case cost: the conversation budget is checked before "
                "each turn, not reserved"
            )
            if note not in self.notes:
                self.notes.append(note)
            reservation = None
        else:
            reservation = budget.reserve(worst, f"turn {number}")  # BudgetExceededError: nothing is sent
        left = budget.limit_usd - budget.spent_usd - budget.reserved_usd + (reservation.amount if reservation else 0.0)
        return reservation, left if asset_limit is None else min(asset_limit, left)

    def _flow(
        self,
        ctx: KitContext,
        request: AssetRequest,
        adapter: TurnAdapter,
        reservation: Reservation | None,
        limit: float | None,
        number: int,
        current: TurnOutcome | None,
    ) -> Flow[TurnOutcome]:
        spec = self.ctx.spec
        before = current.asset.prompt.copy_block if current is not None else None

        def compiled(feedback: Sequence[str]) -> CompiledPrompt:
            prompt = compile_prompt(spec, request, feedback)
            gone = before.replaced_by(prompt.copy_block) if before is not None else {}
            return prompt.model_copy(update={"replaced_copy": gone}) if gone else prompt  # must not stay: checked

        try:
            asset: Asset = yield from attempt_flow(
                ctx,
                request,
                compiled,
                max_attempts=self.max_attempts,
                max_spend_usd=limit,
                edited_image=current.asset.data if current is not None else None,  # the turn it refines
            )
        except BrandViolationError as exc:  # paid for: the best attempt is kept (saved, recorded), not advanced to
            if isinstance(exc.asset, Asset):
                exc.asset = self._linked(exc.asset, adapter, number, current)
                if self.out is not None:
                    try:
                        exc.kept_path, _ = yield from self._keep(exc.asset, f"{self.name}-turn-{number:02d}-rejected")
                    except OutputError as lost:  # the checks' failure stays the error; why it was not kept is said
                        exc.add_note(f"its best attempt could not be kept: {lost}")
            raise
        finally:  # paid is paid: a failed turn's spend counts too
            self._busy = False
            self._settle(adapter, reservation)
        asset = self._linked(asset, adapter, number, current)
        accepted = adapter.results[asset.attempt_number - 1]
        path: Path | None = None
        row_id: int | None = None
        if self.out is not None:
            path, row_id = yield from self._keep(asset, f"{self.name}-turn-{number:02d}")
        usage = TurnUsage()
        notes: list[str] = list(adapter.plan.notes)
        for result in adapter.results:
            usage = add_usage(usage, result.usage)
            notes += [n for n in result.notes if n not in notes]
        outcome = TurnOutcome(
            turn=number,
            instruction=adapter.plan.asked,
            asset=asset,
            response_id=accepted.response_id,
            previous_response_id=adapter.plan.previous_response_id,
            parent_turn=current.turn if current is not None else None,
            notes=notes,
            revised_prompt=accepted.revised_prompt,
            usage=usage,
            cost_usd=adapter.spent_usd,
            attempts=len(adapter.results),
            partial_images=adapter.partials,
            path=path,
            registry_id=row_id,
        )
        self.request = request  # the conversation advances only now
        self.turns.append(outcome)
        self.current = outcome
        if row_id is not None:
            self._parent_row = row_id
        self._states[number] = (request, self._parent_row)
        return outcome

    def _linked(self, asset: Asset, adapter: TurnAdapter, number: int, current: TurnOutcome | None) -> Asset:
        """``asset`` (turn ``number``'s accepted or best attempt) linked to the conversation."""
        link = ConversationLink(
            conversation_id=self.id,
            turn=number,
            response_id=adapter.results[asset.attempt_number - 1].response_id,
            previous_response_id=adapter.plan.previous_response_id,
            parent_sha256=hashlib.sha256(current.asset.data).hexdigest() if current is not None else None,
            instruction=adapter.plan.asked,
        )
        return asset.model_copy(update={"conversation": link})

    def _keep(self, asset: Asset, stem: str) -> Flow[tuple[Path, int | None]]:
        """Save ``asset`` into the conversation's folder as ``stem`` (never over a file) and record it, the current
        turn's row as its parent: its path and registry row id (``None`` without a recorder, or when it failed)."""
        assert self.out is not None
        path: Path = yield Compute(partial(_save, asset, self.out, stem))
        if self.recorder is None:
            return path, None
        record = partial(
            self.recorder.record_asset, asset, path, kind="conversation", spec=self.ctx.spec, parent_id=self._parent_row
        )
        row = yield Compute(record)
        return path, row.id if row is not None else None

    def _settle(self, adapter: TurnAdapter, reservation: Reservation | None) -> None:
        for result in adapter.results:
            self.usage = add_usage(self.usage, result.usage)
        if reservation is not None:
            self.budget.settle(reservation, adapter.spent_usd)
        else:
            self.budget.spent_usd += adapter.spent_usd

    def abandon(self, flow: Flow[TurnOutcome]) -> None:
        """After a turn's driver returned, raised or was cancelled: close the flow (an interrupted turn settles
        the spend of the answers it had) and free the conversation for the next turn."""
        flow.close()
        self._busy = False


def _seed(request: AssetRequest) -> int:
    digest = hashlib.sha256(request.model_dump_json().encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big")


def _save(asset: Asset, out: Path, stem: str) -> Path:
    """Save ``asset`` atomically as ``out/stem`` (or ``stem-2``, ``stem-3``… when taken: never over a file)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder: {exc.strerror or exc}", path=str(out)) from None
    for k in range(1, 1000):
        try:
            return asset.save(out / (stem if k == 1 else f"{stem}-{k}"))
        except OutputExistsError:
            continue
    raise OutputError(f"{out}: no free name for {stem!r}", path=str(out))
