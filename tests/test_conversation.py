"""Conversations (issue 18, SDK side): multi-turn sessions through the same compose / checks / repair path as
``generate``, offline with the local conversation provider and against the loopback Responses API.

The offline three-turn session is the script of ``docs/conversation.md``, run as written."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import brandkit
from brandkit.asset import read_embedded_provenance
from brandkit.budget import BudgetExceededError
from brandkit.compile import compile_prompt
from brandkit.conversation import PartialImage, TurnOutcome
from brandkit.errors import BrandViolationError, InvalidParameterError, RequestError, RequestValidationError
from brandkit.imageio import load_image
from brandkit.models import AssetRequest, CheckStatus
from brandkit.provider.conversation import (
    ImageToolParams,
    PartialCallback,
    TurnCall,
    TurnResult,
    TurnUsage,
)
from brandkit.provider.local_conversation import LocalConversationProvider
from brandkit.provider.local_instructions import LocalEdits, parse_instruction
from brandkit.registry.store import Registry

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "conversation.md"
REQ = {"brief": "A ceramic cup of coffee on an oak table", "headline": "Slow mornings", "cta": "Order ahead"}


def doc_script(name: str) -> str:
    """The python block after ``<!-- script: NAME -->`` in docs/conversation.md."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- script: {name} -->\s*```python\n(.*?)```", text, re.DOTALL)
    assert found, f"docs/conversation.md has no '{name}' script"
    return found.group(1)


def run_doc_script(name: str, folder: Path) -> dict[str, Any]:
    """Run a docs script in ``folder`` (which sees the project's brand_specs/), return its globals."""
    link = folder / "brand_specs"
    if not link.exists():
        link.symlink_to(ROOT / "brand_specs", target_is_directory=True)
    before = Path.cwd()
    os.chdir(folder)
    try:
        namespace: dict[str, Any] = {"__name__": f"docs_conversation_{name}"}
        exec(compile(doc_script(name), f"docs/conversation.md:{name}", "exec"), namespace)
        return namespace
    finally:
        os.chdir(before)


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The offline three-turn session of docs/conversation.md, run once for the tests that read it."""
    folder = tmp_path_factory.mktemp("conversation")
    namespace = run_doc_script("offline", folder)
    namespace["folder"] = folder
    return namespace


@pytest.fixture(scope="module")
def kit(northwind: brandkit.BrandSpec) -> brandkit.BrandKit:
    return brandkit.BrandKit(northwind, provider="local")


@pytest.fixture(scope="module")
def akit(northwind: brandkit.BrandSpec) -> brandkit.AsyncBrandKit:
    return brandkit.AsyncBrandKit(northwind, provider="local")


def hero(image: Image.Image, outcome: TurnOutcome) -> np.ndarray:
    box = outcome.asset.prompt.layout.hero_box
    assert box is not None
    return np.asarray(image.convert("RGB").crop(box.as_tuple()), dtype=np.int16)


# --- the offline session (the docs script) --------------------------------------------------------------------


def test_three_turn_session_offline_every_turn_checked_with_provenance(offline: dict[str, Any]) -> None:
    conv = offline["conv"]
    turns: list[TurnOutcome] = conv.turns
    assert [t.turn for t in turns] == [1, 2, 3]
    previous: TurnOutcome | None = None
    for outcome in turns:
        asset = outcome.asset
        assert asset.report.passed, asset.report.model_dump_report()
        for name in ("palette", "text", "logo", "contrast", "technical"):
            assert asset.report.checks[name].status == CheckStatus.passed, (outcome.turn, name)
        link = asset.conversation
        assert link is not None and link.conversation_id == conv.id and link.turn == outcome.turn
        assert link.response_id == outcome.response_id
        assert link.previous_response_id == (previous.response_id if previous else None)
        assert link.parent_sha256 == (hashlib.sha256(previous.asset.data).hexdigest() if previous else None)
        embedded = read_embedded_provenance(asset.data)  # the usual provenance is in the file too
        assert embedded is not None and embedded["checks"] == asset.report.summary()
        assert outcome.path is not None and outcome.path.is_file()
        assert outcome.path.read_bytes() == asset.data
        sidecar = json.loads(outcome.path.with_name(outcome.path.name + ".json").read_text())
        assert sidecar["conversation"]["response_id"] == outcome.response_id
        assert sidecar["conversation"]["turn"] == outcome.turn and sidecar["report"]["passed"] is True
        previous = outcome
    assert conv.last_response_id == turns[-1].response_id
    assert conv.spent_usd == 0.0 and conv.usage == TurnUsage()
    assert all(t.cost_usd == 0.0 and t.usage == TurnUsage() for t in turns)


def test_offline_instructions_applied_on_pixels_and_copy(offline: dict[str, Any]) -> None:
    first, second, third = offline["conv"].turns
    assert second.revised_prompt is not None and "warmer" in second.revised_prompt
    one, two = hero(first.asset.image, first), hero(second.asset.image, second)
    assert one.shape == two.shape
    # moved left by 8 % of the hero area, and warmer: red +3, blue -3 where the content overlaps
    dx = round(0.08 * one.shape[1])
    diff = two[:, : one.shape[1] - dx] - one[:, dx:]
    assert float(np.median(diff[..., 0])) == 3.0 and float(np.median(diff[..., 2])) == -3.0
    assert float(np.median(diff[..., 1])) == 0.0
    # the German copy is on the image and checked as such
    assert third.asset.prompt.copy_block.headline == "Langsame Morgen"
    assert third.asset.prompt.copy_block.cta == "Jetzt bestellen"
    assert third.asset.report.checks["text"].status == CheckStatus.passed
    assert offline["conv"].request.headline == "Langsame Morgen"
    assert first.notes == [] and second.notes == []
    assert third.notes == ["not understood by the local renderer: 'make it sparkle'"]


def test_offline_partial_images_in_order(offline: dict[str, Any]) -> None:
    partials: list[PartialImage] = offline["partials"]
    turns = offline["conv"].turns
    assert [(p.response_id, p.index) for p in partials] == [(t.response_id, i) for t in turns for i in (0, 1)]
    assert all(t.partial_images == 2 for t in turns)
    final = np.asarray(load_image(turns[1].asset.data).convert("RGB"), dtype=np.float32)
    errors = []
    for partial in partials[2:4]:
        image = load_image(partial.data)
        assert image.size == (1024, 1024) and partial.output_format == "png"
        errors.append(float(np.abs(np.asarray(image.convert("RGB"), dtype=np.float32) - final).mean()))
    assert errors[0] > errors[1] > 0  # each preview sharper than the one before, none the final image


def test_offline_turns_are_a_lineage_in_the_registry(offline: dict[str, Any]) -> None:
    turns = offline["conv"].turns
    ids = [t.registry_id for t in turns]
    assert all(isinstance(i, int) for i in ids)
    with Registry.open(offline["folder"] / "conversation-out" / "brandkit.db") as registry:
        last = registry.get_asset(ids[2])
        assert last.row.parent_id == ids[1] and last.row.kind == "conversation"
        assert [a.id for a in last.ancestors] == [ids[1], ids[0]]
        assert registry.get_asset(ids[0]).row.parent_id is None
        assert Path(last.row.path) == turns[2].path


# --- async: turn, stream, same answers as sync --------------------------------------------------------------


def test_async_session_streams_and_matches_the_sync_one(akit: brandkit.AsyncBrandKit, offline: dict[str, Any]) -> None:
    sync_turns: list[TurnOutcome] = offline["conv"].turns

    async def session() -> tuple[list[TurnOutcome], list[Any], list[PartialImage]]:
        conv = akit.conversation(REQ, partial_images=2)
        await conv.turn()
        events = [event async for event in conv.stream("warmer light, move the cup left")]
        seen: list[PartialImage] = []
        await conv.turn(
            "now the German version and make it sparkle",
            headline="Langsame Morgen",
            cta="Jetzt bestellen",
            on_partial=seen.append,
        )
        return conv.turns, events, seen

    turns, events, seen = asyncio.run(session())
    assert [type(e).__name__ for e in events] == ["PartialImage", "PartialImage", "TurnOutcome"]
    assert [e.index for e in events[:2]] == [0, 1] and events[2] is turns[1]
    assert [p.index for p in seen] == [0, 1] and {p.response_id for p in seen} == {turns[2].response_id}
    # deterministic response ids and pixels: the async session is the sync one
    assert [t.response_id for t in turns] == [t.response_id for t in sync_turns]
    for a, b in zip(turns, sync_turns, strict=True):
        assert np.array_equal(np.asarray(a.asset.image), np.asarray(b.asset.image))
        assert a.asset.report.summary() == b.asset.report.summary()
    assert turns[2].notes == sync_turns[2].notes


def test_one_turn_at_a_time_and_an_abandoned_stream_frees_the_conversation(akit: brandkit.AsyncBrandKit) -> None:
    async def scenario() -> tuple[TurnOutcome, TurnOutcome]:
        conv = akit.conversation(REQ, partial_images=1)
        first = asyncio.ensure_future(conv.turn())
        await asyncio.sleep(0)  # the first turn has begun
        with pytest.raises(RequestError, match="still running"):
            await conv.turn("warmer")
        done = await first
        events = conv.stream("cooler")
        assert isinstance(await events.__anext__(), PartialImage)
        await events.aclose()  # the caller walks away: the turn is cancelled, nothing is accepted
        assert conv.turns == [done]
        again = await conv.turn("cooler")
        return done, again

    done, again = asyncio.run(scenario())
    assert again.turn == 2 and again.previous_response_id == done.response_id


# --- repair inside a turn; a failed turn does not advance -----------------------------------------------------


def test_a_turn_failing_after_repair_raises_and_does_not_advance(kit: brandkit.BrandKit) -> None:
    provider = CountingProvider(LocalConversationProvider(kit.spec), worst=0.02, cost=0.01)
    conv = kit.conversation(REQ, provider=provider, max_attempts=1)
    with pytest.raises(BrandViolationError) as failed:
        conv.turn("make the background neon green")
    assert failed.value.report is not None and failed.value.report.checks["palette"].status == CheckStatus.failed
    assert conv.turns == [] and conv.last_response_id is None and conv.request.headline == REQ["headline"]
    assert conv.spent_usd == pytest.approx(0.01) and conv.budget.reserved_usd == 0.0  # paid is paid
    outcome = conv.turn(headline="Fresh roast")  # the next turn starts from the last accepted state (none)
    assert outcome.turn == 1 and outcome.previous_response_id is None
    assert outcome.asset.conversation is not None and outcome.asset.conversation.turn == 1
    assert provider.edits_background(outcome.response_id) is None  # the failed turn's edits were not kept
    assert conv.spent_usd == pytest.approx(0.02) and conv.usage.input_text_tokens == 200


def test_a_failed_turn_keeps_its_best_attempt_in_the_folder_and_the_registry(
    kit: brandkit.BrandKit, tmp_path: Path
) -> None:
    from brandkit.registry.recorder import RegistryRecorder

    out = tmp_path / "out"
    recorder = RegistryRecorder(out / "brandkit.db", "conversation", out, spec=kit.spec)
    conv = kit.conversation(REQ, out=out, recorder=recorder, max_attempts=1, name="cafe")
    first = conv.turn("warmer")
    with pytest.raises(BrandViolationError) as failed:
        conv.turn("make the background neon green")
    kept = failed.value.kept_path
    assert kept is not None and kept.name == "cafe-turn-02-rejected.png" and kept.is_file()
    link = brandkit.read_sidecar(kept).conversation
    assert link is not None and (link.turn, link.conversation_id) == (2, conv.id)  # paid for: kept, linked
    assert link.parent_sha256 == hashlib.sha256(first.asset.data).hexdigest()
    assert len(conv.turns) == 1 and conv.current_turn == first  # the conversation did not advance
    with Registry.open(out / "brandkit.db") as registry:
        row = registry.known_file(kept)
        assert row is not None and row.passed is False and row.parent_id == first.registry_id
    again = conv.turn("cooler")  # the next accepted turn takes the number, beside the rejected one
    assert again.path is not None and again.path.name == "cafe-turn-02.png" and kept.is_file()


def test_a_failed_turn_whose_best_attempt_cannot_be_kept_still_fails_on_its_checks(
    kit: brandkit.BrandKit, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    conv = kit.conversation(REQ, out=out, max_attempts=1)
    conv.turn("warmer")
    shutil.rmtree(out)
    out.write_text("a file where the conversation's folder was")  # the rejected attempt cannot be saved
    with pytest.raises(BrandViolationError) as failed:  # the checks' failure, not the output's
        conv.turn("make the background neon green")
    assert failed.value.kept_path is None and failed.value.asset is not None
    assert any("its best attempt could not be kept" in note for note in failed.value.__notes__)


def test_a_bad_change_is_refused_before_anything_is_sent(kit: brandkit.BrandKit) -> None:
    provider = CountingProvider(LocalConversationProvider(kit.spec))
    conv = kit.conversation(REQ, provider=provider)
    with pytest.raises(RequestValidationError, match="headlin"):
        conv.turn("warmer", headlin="typo")
    with pytest.raises(RequestError, match="n"):
        conv.turn(n=2)
    with pytest.raises(RequestError, match="partial_images"):
        kit.conversation(REQ, partial_images=4)
    with pytest.raises(RequestError, match="out="):
        kit.conversation(REQ, recorder=object())
    assert provider.calls == [] and conv.turns == []


# --- spend ---------------------------------------------------------------------------------------------------


class CountingProvider:
    """A conversation provider around another, counting calls; with ``price``, it states a worst case and bills
    ``cost`` per turn (a priced provider for budget tests)."""

    def __init__(self, inner: LocalConversationProvider, worst: float | None = None, cost: float = 0.0) -> None:
        self.inner = inner
        self.name = "counting"
        self.worst = worst
        self.cost = cost
        self.calls: list[TurnCall] = []

    def _bill(self, result: TurnResult) -> TurnResult:
        usage = TurnUsage(input_text_tokens=100, output_image_tokens=200)
        return result.model_copy(update={"cost_usd": self.cost, "usage": usage})

    def respond(self, call: TurnCall, on_partial: PartialCallback | None = None) -> TurnResult:
        self.calls.append(call)
        return self._bill(self.inner.respond(call, on_partial))

    async def arespond(self, call: TurnCall, on_partial: PartialCallback | None = None) -> TurnResult:
        self.calls.append(call)
        return self._bill(await self.inner.arespond(call, on_partial))

    def worst_case_cost(self, call: TurnCall) -> float | None:
        return self.worst

    def edits_background(self, response_id: str) -> str | None:
        return self.inner.edits_of(response_id).background


def test_conversation_budget_bounds_repairs_and_refuses_the_next_turn_before_sending(kit: brandkit.BrandKit) -> None:
    provider = CountingProvider(LocalConversationProvider(kit.spec), worst=0.05, cost=0.04)
    conv = kit.conversation(REQ, provider=provider, max_spend_usd=0.10)
    first = conv.turn()
    assert first.cost_usd == pytest.approx(0.04)
    assert first.usage == TurnUsage(input_text_tokens=100, output_image_tokens=200)
    # the repair loop inside a turn may spend only what is left of the conversation's budget: attempt 1 failed
    # the palette check, attempt 2 (worst case 0.05 on top of 0.08 spent) was not sent
    with pytest.raises(BrandViolationError, match="the next one was not sent"):
        conv.turn("make the background neon green")
    assert len(provider.calls) == 2 and conv.spent_usd == pytest.approx(0.08)
    assert conv.usage == TurnUsage(input_text_tokens=200, output_image_tokens=400)
    with pytest.raises(BudgetExceededError) as refused:
        conv.turn("cooler")  # 0.08 spent + 0.05 worst case > 0.10: refused before anything is sent
    assert refused.value.needed_usd == pytest.approx(0.05) and refused.value.spent_usd == pytest.approx(0.08)
    assert len(provider.calls) == 2 and len(conv.turns) == 1
    assert conv.budget.reserved_usd == 0.0


def test_turn_calls_chain_ids_and_a_palette_break_is_repaired_inside_the_turn(kit: brandkit.BrandKit) -> None:
    provider = CountingProvider(LocalConversationProvider(kit.spec))
    conv = kit.conversation(REQ, provider=provider, partial_images=1)
    first = conv.turn()
    outcome = conv.turn("make the background neon green", subhead="Roasted this week")
    # repaired inside the turn: attempt 1 failed the palette check, attempt 2 (with the feedback) passed
    assert outcome.attempts == 2 and outcome.asset.attempt_number == 2 and outcome.turn == 2
    failed, passed = outcome.asset.attempts
    assert failed.report.checks["palette"].status == CheckStatus.failed
    assert passed.report.passed and passed.prompt.feedback
    assert any(n.startswith("repair (attempt 2)") and "#39FF14" in n for n in outcome.notes)
    neon = np.all(np.asarray(load_image(failed.data).convert("RGB")) == (0x39, 0xFF, 0x14), axis=-1)
    assert neon.mean() > 0.2  # the first image really had the off-brand background
    assert not np.any(np.all(np.asarray(outcome.asset.image.convert("RGB")) == (0x39, 0xFF, 0x14), axis=-1))
    assert outcome.partial_images == 2  # one per attempt
    # what each call carried
    calls = provider.calls
    assert len(calls) == 3  # turn 1, then turn 2's first attempt and its repair
    assert {c.instructions for c in calls} == {calls[0].instructions} and "Northwind" in calls[0].instructions
    assert [i.role for i in calls[0].input_images] == ["logo"] and calls[1].input_images == []
    assert [c.previous_response_id for c in calls] == [None, first.response_id, first.response_id]
    assert [c.attempt for c in calls] == [1, 1, 2]
    assert "Change the subhead to exactly: 'Roasted this week'" in calls[1].input_text
    assert "brand checks rejected" not in calls[1].input_text and "brand checks rejected" in calls[2].input_text
    assert calls[1].instruction == "make the background neon green"
    assert calls[0].tool == ImageToolParams(
        size="1024x1024", quality="medium", output_format="png", background="opaque", partial_images=1
    )


# --- the local provider on its own ---------------------------------------------------------------------------


def _call(spec: brandkit.BrandSpec, instruction: str, previous: str | None, **request: Any) -> TurnCall:
    prompt = compile_prompt(spec, AssetRequest(**{**REQ, **request}))
    return TurnCall(
        instructions="rules",
        input_text=instruction,
        instruction=instruction,
        tool=ImageToolParams(size=prompt.size, partial_images=0),
        prompt=prompt,
        previous_response_id=previous,
        seed=7,
    )


def test_local_provider_moves_and_recolours_exactly(northwind: brandkit.BrandSpec) -> None:
    provider = LocalConversationProvider(northwind)
    base = provider.respond(_call(northwind, "", None))
    moved = provider.respond(_call(northwind, "move the cup to the left", base.response_id))
    sage = provider.respond(_call(northwind, "background Sage", moved.response_id))
    assert provider.edits_of(sage.response_id) == LocalEdits(shift_x=-1, background="#7A9E7E")
    prompt = _call(northwind, "", None).prompt
    box = prompt.layout.hero_box
    assert box is not None
    a = np.asarray(load_image(base.images[0].data).convert("RGB").crop(box.as_tuple()))
    b = np.asarray(load_image(moved.images[0].data).convert("RGB").crop(box.as_tuple()))
    dx = round(0.08 * box.width)
    assert np.array_equal(b[:, : box.width - dx], a[:, dx:])  # the hero content, moved left by 8 %
    bg = tuple(int(prompt.background_hex[i : i + 2], 16) for i in (1, 3, 5))
    before = np.all(np.asarray(load_image(moved.images[0].data).convert("RGB")) == bg, axis=-1)
    after = np.asarray(load_image(sage.images[0].data).convert("RGB"))
    assert before.mean() > 0.1 and np.all(after[before] == (0x7A, 0x9E, 0x7E))
    assert (
        base.usage == TurnUsage() and base.cost_usd == 0.0 and provider.worst_case_cost(_call(northwind, "", None)) == 0
    )


def test_local_provider_ids_are_deterministic_and_unknown_ids_typed(northwind: brandkit.BrandSpec) -> None:
    one, two = LocalConversationProvider(northwind), LocalConversationProvider(northwind)
    a, b = one.respond(_call(northwind, "warmer", None)), two.respond(_call(northwind, "warmer", None))
    assert a.response_id == b.response_id and a.images[0].data == b.images[0].data
    assert one.respond(_call(northwind, "cooler", None)).response_id != a.response_id
    with pytest.raises(InvalidParameterError, match="resp_nope") as unknown:
        one.respond(_call(northwind, "warmer", "resp_nope"))
    assert unknown.value.code == "previous_response_not_found"


def test_local_provider_partials_through_the_callback(northwind: brandkit.BrandSpec) -> None:
    provider = LocalConversationProvider(northwind)
    call = _call(northwind, "", None).model_copy(update={"tool": ImageToolParams(size="1024x1024", partial_images=3)})
    seen: list[PartialImage] = []
    result = provider.respond(call, seen.append)
    assert [p.index for p in seen] == [0, 1, 2] and result.partial_count == 3
    assert {p.response_id for p in seen} == {result.response_id}
    assert len({p.data for p in seen}) == 3 and all(p.data != result.images[0].data for p in seen)


def test_parse_instruction_understands_the_documented_list() -> None:
    palette = {"sage": "#7A9E7E", "roast brown": "#4B2E2A"}
    parsed = parse_instruction(
        "Much warmer, a bit darker; move the product up and make it bigger. Background Roast Brown",
        LocalEdits(),
        palette,
    )
    assert parsed.edits == LocalEdits(warmth=2, brightness=-1, shift_y=-1, scale=1, background="#4B2E2A")
    assert parsed.not_understood == []
    german = parse_instruction("now the German version", parsed.edits, palette)
    assert german.edits.locale == "de" and german.language == "German"
    assert parse_instruction("reset", german.edits, palette).edits == LocalEdits()
    odd = parse_instruction("move the logo left, bigger headline, add a unicorn", LocalEdits(), palette)
    assert odd.edits == LocalEdits() and odd.not_understood == ["add a unicorn"]
    assert [n.split(":")[0] for n in odd.not_applied] == ["'move the logo left'", "'bigger headline'"]
    bounded = parse_instruction(", ".join(["warmer"] * 9), LocalEdits(), palette)
    assert bounded.edits.warmth == 3


def test_local_turn_without_the_translated_copy_says_so(northwind: brandkit.BrandSpec) -> None:
    provider = LocalConversationProvider(northwind)
    first = provider.respond(_call(northwind, "", None))
    same = provider.respond(_call(northwind, "now the French version", first.response_id))
    assert any("cannot translate" in n and "French" in n for n in same.notes)
    given = provider.respond(_call(northwind, "now the French version", first.response_id, headline="Matins lents"))
    assert not any("cannot translate" in n for n in given.notes)


# --- against the loopback Responses API ----------------------------------------------------------------------


@pytest.fixture
def loopback_env(openai_server: Any, monkeypatch: pytest.MonkeyPatch, lumen: brandkit.BrandSpec) -> Iterator[Any]:
    from tests.support.openai_plugin import FAKE_API_KEY
    from tests.test_openai_kit import brand_imagery

    openai_server.image_factory = brand_imagery(lumen)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    yield openai_server


def test_three_turn_session_against_the_loopback_server(loopback_env: Any, tmp_path: Path) -> None:
    server = loopback_env
    namespace = run_doc_script("loopback", tmp_path)
    outcomes: list[TurnOutcome] = namespace["outcomes"]
    assert [o.turn for o in outcomes] == [1, 2, 3]
    sent = [r.fields.get("previous_response_id") for r in server.records("/responses")]
    assert sent == [None, outcomes[0].response_id, outcomes[1].response_id]
    assert server.responses.chain(outcomes[2].response_id) == [o.response_id for o in outcomes]
    for outcome in outcomes:
        assert outcome.asset.report.passed, outcome.asset.report.model_dump_report()
        assert outcome.asset.conversation is not None and outcome.asset.conversation.response_id == outcome.response_id
        assert outcome.asset.provider == "openai" and outcome.cost_usd > 0
        assert outcome.usage.output_image_tokens > 0
    assert outcomes[1].partial_images == 2
    assert outcomes[2].asset.prompt.copy_block.headline == "Kleine Schritte, jeden Tag"
    records = server.records("/responses")
    assert len({r.fields.get("instructions") for r in records}) == 1 and records[0].fields.get("instructions")
    # lumen-health draws its logo in overlay: compose places the real file, so no logo goes to the model
    assert outcomes[0].asset.prompt.logo_mode == "overlay" and "overlay:logo" in outcomes[0].asset.fixes
    assert "input_image" not in json.dumps([r.fields.get("input") for r in records])
    assert namespace["outcomes"][2].asset.conversation.turn == 3
    assert server.invalid_requests() == []


def _openai_kit(openai_server: Any, lumen: brandkit.BrandSpec) -> brandkit.BrandKit:
    """An OpenAI kit on the loopback server (its own key and URL, none in the environment), serving brand imagery."""
    from tests.support.openai_plugin import FAKE_API_KEY, FAST_RETRY
    from tests.test_openai_kit import brand_imagery

    openai_server.image_factory = brand_imagery(lumen)
    return brandkit.BrandKit(
        lumen, provider="openai", api_key=FAKE_API_KEY, base_url=openai_server.url, retry=FAST_RETRY
    )


def test_an_openai_kit_lends_its_connection_to_the_conversation(
    openai_server: Any, lumen: brandkit.BrandSpec, tmp_path: Path
) -> None:
    kit = _openai_kit(openai_server, lumen)
    conv = kit.conversation(
        {"brief": "A person stretching at sunrise", "headline": "Small steps, every day"}, out=tmp_path / "out"
    )
    with conv:
        outcome = conv.turn()  # no OPENAI_API_KEY / OPENAI_BASE_URL in the environment: the kit's own are used
        made = conv._session.provider._clients.sync()  # type: ignore[attr-defined]  # the client it made
    assert outcome.asset.report.passed and outcome.path is not None and outcome.path.is_file()
    assert openai_server.count("/responses") == 1 and outcome.cost_usd > 0
    assert conv.spent_usd == pytest.approx(outcome.cost_usd)
    assert made.is_closed()  # the conversation made its Responses client: leaving `with` closed it


# --- copy changed in words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "changes", "rest"),
    [
        ('change the headline to "Fly higher"', {"headline": "Fly higher"}, ""),
        ("make it warmer and change the headline to “Fly higher”", {"headline": "Fly higher"}, "make it warmer"),
        ("make the button say 'Book now'", {"cta": "Book now"}, ""),
        ('subhead: "Roasted today" and brighter', {"subhead": "Roasted today"}, "brighter"),
        ("set the call to action to «Jetzt buchen»", {"cta": "Jetzt buchen"}, ""),
        ("remove the subhead", {"subhead": None}, ""),
        ("no cta, darker", {"cta": None}, "darker"),
        ("no headline changes, just warmer", {}, "no headline changes, just warmer"),
        ("don't remove the headline", {}, "don't remove the headline"),
        ("keep today's headline, move the cup left", {}, "keep today's headline, move the cup left"),
        ("make the headline say something bolder", {}, "make the headline say something bolder"),
        ("switch to a dark background", {"background": "dark"}, ""),
        ("a light background and warmer", {"background": "light"}, "warmer"),
        ("dark mode please", {"background": "dark"}, ""),
        ("make the background dark green", {}, "make the background dark green"),
        ("use a darker background", {}, "use a darker background"),
    ],
)
def test_copy_edits_reads_only_the_unambiguous_forms(said: str, changes: dict[str, Any], rest: str) -> None:
    from brandkit.conversation.copy_edits import copy_edits

    edits = copy_edits(said)
    assert edits.changes == changes and edits.rest == rest
    unquoted = "bolder" in said
    assert any("without its new text in quotes" in n for n in edits.notes) is unquoted


FORMATS = ("square", "portrait", "landscape", "banner", "wide")


@pytest.mark.parametrize(
    ("said", "changes", "rest"),
    [
        ("make it landscape", {"format": "landscape"}, ""),
        ("switch to the banner, warmer", {"format": "banner"}, "warmer"),
        ("as a portrait please", {"format": "portrait"}, ""),
        ("the square version", {"format": "square"}, ""),
        ("Landscape format and darker", {"format": "landscape"}, "darker"),
        ('change the headline to "Hi" and make it wide', {"headline": "Hi", "format": "wide"}, ""),
        ("a portrait of the barista", {}, "a portrait of the barista"),  # a subject, not the image's shape
        ("put the cup on a square table", {}, "put the cup on a square table"),
        ("make it wider", {}, "make it wider"),
        ("make it vertical", {}, "make it vertical"),  # not one of the brand's formats
    ],
)
def test_copy_edits_reads_a_format_of_the_brand(said: str, changes: dict[str, Any], rest: str) -> None:
    from brandkit.conversation.copy_edits import copy_edits

    edits = copy_edits(said, FORMATS)
    assert edits.changes == changes and edits.rest == rest
    if "format" in changes:
        assert f"setting from the instruction: format → {changes['format']!r}" in edits.notes
    assert copy_edits(said).changes.get("format") is None  # without the brand's formats, no format is read


@pytest.mark.parametrize(
    ("said", "modes", "changes", "rest"),
    [
        ("dark mode please", ("dark",), {"palette_mode": "dark"}, ""),
        ("switch to the dark theme, warmer", ("dark",), {"palette_mode": "dark"}, "warmer"),
        ("use the high-contrast palette", ("high-contrast", "dark"), {"palette_mode": "high-contrast"}, ""),
        ("back to the default colours", ("dark",), {"palette_mode": "default"}, ""),
        ("switch it back to the dark theme", ("dark",), {"palette_mode": "dark"}, ""),
        ("light mode", ("dark",), {"palette_mode": "default"}, ""),  # the spec's own colours: no mode is 'light'
        ("light mode", ("light", "dark"), {"palette_mode": "light"}, ""),
        ("a dark background", ("dark",), {"background": "dark"}, ""),  # a background is not a palette mode
        ("sepia mode", ("dark",), {}, "sepia mode"),  # not one of the brand's modes
    ],
)
def test_copy_edits_reads_a_palette_mode_of_the_brand(
    said: str, modes: tuple[str, ...], changes: dict[str, Any], rest: str
) -> None:
    from brandkit.conversation.copy_edits import copy_edits

    edits = copy_edits(said, modes=modes)
    assert edits.changes == changes and edits.rest == rest


def test_removing_copy_the_image_does_not_have_says_so() -> None:
    from brandkit.conversation.copy_edits import copy_edits

    edits = copy_edits("remove the subhead, remove the cta", current={"subhead": None, "cta": "Order now"})
    assert edits.changes == {"subhead": None, "cta": None}
    assert "copy from the instruction: no subhead to remove (the image has none)" in edits.notes
    assert "copy from the instruction: cta removed" in edits.notes


def test_a_format_asked_in_words_reshapes_the_next_turn(kit: brandkit.BrandKit) -> None:
    conv = kit.conversation(REQ, provider=LocalConversationProvider(kit.spec))
    first = conv.turn()
    second = conv.turn("make it landscape, warmer")
    assert load_image(first.asset.data).size == (1024, 1024)
    assert load_image(second.asset.data).size == (1536, 1024) and second.asset.report.passed
    assert second.asset.request.format == "landscape"
    assert "setting from the instruction: format → 'landscape'" in second.notes
    assert not any("not understood" in n for n in second.notes)  # 'warmer' was understood, the format read


def test_a_copy_change_in_words_changes_the_request_so_the_text_check_holds_the_new_copy(
    kit: brandkit.BrandKit,
) -> None:
    provider = CountingProvider(LocalConversationProvider(kit.spec))
    conv = kit.conversation(REQ, provider=provider)
    first = conv.turn()
    said = 'make it warmer and change the headline to "Fresh every morning"'
    second = conv.turn(said)
    assert second.asset.prompt.copy_block.headline == "Fresh every morning"
    assert second.asset.report.checks["text"].status is CheckStatus.passed
    assert second.instruction == said and second.asset.conversation is not None
    assert second.asset.conversation.instruction == said
    assert provider.calls[-1].instruction == "make it warmer"  # what the renderer is asked in words
    assert "Change the headline to exactly: 'Fresh every morning'" in provider.calls[-1].input_text
    assert "copy from the instruction: headline → 'Fresh every morning'" in second.notes
    assert not any("not understood" in n for n in second.notes)
    assert hero(load_image(second.asset.data), second).mean() != hero(load_image(first.asset.data), first).mean()
    third = conv.turn("remove the cta, then switch to a dark background")
    assert third.asset.prompt.copy_block.cta is None and third.asset.report.passed
    assert third.asset.prompt.background_tone == "dark" and second.asset.prompt.background_tone == "light"
    assert third.asset.prompt.logo_variant == "inverse"  # the variant made for the dark background
    assert "setting from the instruction: background → 'dark'" in third.notes
    sent = len(provider.calls)
    with pytest.raises(RequestError, match="headline: the instruction says 'A' but headline= says 'B'"):
        conv.turn('change the headline to "A"', headline="B")
    assert len(provider.calls) == sent and len(conv.turns) == 3


def test_a_format_asked_in_words_changes_the_image_tool_size_on_the_openai_path(
    openai_server: Any, lumen: brandkit.BrandSpec
) -> None:
    conv = _openai_kit(openai_server, lumen).conversation(
        {"brief": "A person stretching at sunrise", "headline": "Small steps, every day"}
    )
    with conv:
        first = conv.turn()
        second = conv.turn("make it landscape")
    sizes = [
        next(t["size"] for t in r.fields["tools"] if t.get("type") == "image_generation")
        for r in openai_server.records("/responses")
    ]
    assert sizes == ["1024x1024", "1536x1024"]  # the second turn asks the model for the landscape size
    assert load_image(second.asset.data).size == (1536, 1024) and second.asset.report.passed
    assert openai_server.responses.chain(second.response_id) == [first.response_id, second.response_id]
    assert openai_server.invalid_requests() == []


# --- going back to an earlier turn ----------------------------------------------------------------------------


def test_back_to_an_earlier_turn_branches_from_its_image_request_and_response(
    kit: brandkit.BrandKit, tmp_path: Path
) -> None:
    from brandkit.registry.recorder import RegistryRecorder

    out = tmp_path / "out"
    recorder = RegistryRecorder(out / "brandkit.db", "conversation", out, spec=kit.spec)
    with Registry.open(out / "brandkit.db") as registry:
        conv = kit.conversation(REQ, out=out, recorder=recorder)
        first = conv.turn("warmer")
        second = conv.turn("make the background dark")
        assert conv.request.background == "dark"
        assert conv.back_to() == first  # undo: the turn the current one refined
        assert conv.current_turn == first and conv.request.background != "dark"
        assert conv.last_response_id == first.response_id and len(conv.turns) == 2  # nothing lost
        third = conv.turn("cooler")
        assert (third.turn, third.parent_turn, third.previous_response_id) == (3, 1, first.response_id)
        assert third.asset.request is not None and third.asset.request.background != "dark"
        link = third.asset.conversation
        assert link is not None and link.parent_sha256 == hashlib.sha256(first.asset.data).hexdigest()
        # the dark turn's edits are not in the branch: its hero is the first turn's, made cooler
        assert hero(third.asset.image, third).mean(axis=(0, 1))[2] > hero(first.asset.image, first).mean(axis=(0, 1))[2]
        assert not np.array_equal(np.asarray(third.asset.image), np.asarray(second.asset.image))
        assert conv.back_to(2) == second  # any accepted turn, forward too
        fourth = conv.turn("brighter")
        assert (fourth.parent_turn, fourth.previous_response_id) == (2, second.response_id)
        assert fourth.asset.request is not None and fourth.asset.request.background == "dark"
        assert [t.turn for t in conv.turns] == [1, 2, 3, 4] and all(t.path and t.path.exists() for t in conv.turns)
        rows = {t.turn: registry.get_asset(t.registry_id or 0).row for t in conv.turns}  # a tree of turns
        assert rows[3].parent_id == first.registry_id and rows[4].parent_id == second.registry_id
        with pytest.raises(RequestError, match="turn: 7 is not an accepted turn .*accepted: 1, 2, 3, 4"):
            conv.back_to(7)
        conv.back_to(1)
        with pytest.raises(RequestError, match="turn 1 is the first image"):
            conv.back_to()
        assert conv.current_turn == first  # a refused back_to changes nothing


def test_back_to_before_any_turn_or_in_a_stored_conversation_is_refused(kit: brandkit.BrandKit) -> None:
    with pytest.raises(RequestError, match="no turn yet"):
        kit.conversation(REQ).back_to()
    stored = kit.conversation(REQ, stored_conversation="conv_abc")
    with pytest.raises(RequestError, match="only appends") as raised:
        stored.back_to(1)
    assert raised.value.field == "stored_conversation"


def test_back_to_chains_the_next_responses_call_from_that_turn(openai_server: Any, lumen: brandkit.BrandSpec) -> None:
    conv = _openai_kit(openai_server, lumen).conversation(
        {"brief": "A person stretching at sunrise", "headline": "Small steps, every day"}
    )
    with conv:
        first = conv.turn()
        second = conv.turn("warmer light")
        conv.back_to(1)
        third = conv.turn("cooler light")
    sent = [r.fields.get("previous_response_id") for r in openai_server.records("/responses")]
    assert sent == [None, first.response_id, first.response_id]  # the branch chains from turn 1, not turn 2
    assert openai_server.responses.chain(third.response_id) == [first.response_id, third.response_id]
    assert second.response_id not in openai_server.responses.chain(third.response_id)
    assert third.parent_turn == 1 and third.asset.report.passed
    assert openai_server.invalid_requests() == []


def test_chat_undo_and_back_go_to_an_earlier_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from brandkit.cli import app

    spec = ROOT / "brand_specs" / "northwind"
    lines = "warmer\nmake the background dark\nUndo!\ncooler\n/back 9\n/back two\n/undo now\n/back 2\n/go\n"
    args = ["chat", "-s", str(spec), "-p", "local", "--out", str(tmp_path), "--brief", REQ["brief"], "--json"]
    result = CliRunner().invoke(app, [*args, "--partial-images", "0"], input=lines)
    assert result.exit_code == 0, result.stdout + result.stderr
    turns = json.loads(result.stdout)["turns"]
    assert [(t["turn"], t["refines"]) for t in turns] == [(1, None), (2, 1), (3, 1), (4, 2)]
    assert "'Undo!' read as /undo (no image is made for it)" in result.stderr  # not a paid turn
    assert "back to turn 1" in result.stderr and "back to turn 2" in result.stderr
    assert "turn: 9 is not an accepted turn of this conversation (accepted: 1, 2, 3)" in result.stderr
    assert "/back needs a turn number, got 'two'" in result.stderr and "/undo takes no value" in result.stderr


def test_a_turn_that_changes_the_copy_must_not_keep_the_old_copy(kit: brandkit.BrandKit) -> None:
    conv = kit.conversation(REQ)
    first = conv.turn()
    assert first.asset.prompt.replaced_copy == {}
    second = conv.turn('change the headline to "Fly higher"')
    # the previous turn's headline is what this turn's image must not keep: the text check reads for it
    assert second.asset.prompt.replaced_copy == {"headline": REQ["headline"]}
    text = second.asset.report.checks["text"]
    assert text.status == CheckStatus.passed and text.details["old_copy"] == []  # the local renderer redraws


def test_copy_replaced_by_lists_what_the_new_copy_no_longer_orders() -> None:
    from brandkit.models import CopyBlock

    old = CopyBlock(headline="Slow mornings", cta="Order ahead", disclaimers=["Offer valid.", "18+ only."])
    new = CopyBlock(headline="Langsame Morgen", cta="Order ahead", disclaimers=["Angebot gültig.", "18+ only."])
    assert old.replaced_by(new) == {"headline": "Slow mornings", "disclaimer[0]": "Offer valid."}
    moved = CopyBlock(headline="Order ahead")  # the old CTA's words are still ordered, as the headline
    assert old.replaced_by(moved) == {
        "headline": "Slow mornings",
        "disclaimer[0]": "Offer valid.",
        "disclaimer[1]": "18+ only.",
    }
