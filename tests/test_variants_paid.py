"""Paid means recorded (units of ``brandkit/variants/paid.py``): a render is journaled with its bytes as it
arrives; a later session serves it back for the same call only, and says why when it cannot."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import brandkit
from brandkit.budget import SpendBudget
from brandkit.compile import compile_prompt
from brandkit.models import RenderCall
from brandkit.provider.local import LocalRenderer
from brandkit.variants import Journal, read_journal, replay
from brandkit.variants.paid import PaidLedger

KEY = "ab" * 32


class _Counting(LocalRenderer):
    """The local renderer, billed $0.04 a call, counting calls."""

    calls = 0

    def render(self, call: RenderCall) -> brandkit.models.RenderResult:
        type(self).calls += 1
        return super().render(call).model_copy(update={"cost_usd": 0.04, "request_id": f"req_{self.calls}"})


def _call(spec: brandkit.BrandSpec, seed: int = 1) -> RenderCall:
    request = brandkit.AssetRequest(format="square", brief="A cup of coffee", headline="Slow mornings", seed=seed)
    return RenderCall(prompt=compile_prompt(spec, request), seed=seed, attempt=1)


def _session(out: Path, spec: brandkit.BrandSpec, call: RenderCall) -> tuple[PaidLedger, brandkit.models.RenderResult]:
    records, _ = read_journal(out / "journal.jsonl") if (out / "journal.jsonl").exists() else ([], 0)
    pending = {key: v.paid for key, v in replay(records).variants.items() if v.paid}
    with Journal(out / "journal.jsonl") as journal:
        ledger = PaidLedger(out, journal, SpendBudget(None), pending=pending)
        provider = ledger.provider_for(KEY, _Counting(spec))
        result = asyncio.run(provider.arender(call))
    return ledger, result


def test_a_paid_render_is_journaled_with_its_bytes_and_served_back_for_the_same_call(
    tmp_path: Path, northwind: brandkit.BrandSpec
) -> None:
    _Counting.calls = 0
    call = _call(northwind)
    first, paid = _session(tmp_path, northwind, call)
    assert _Counting.calls == 1 and first.recorded_usd == pytest.approx(0.04)
    line = next(r for r in read_journal(tmp_path / "journal.jsonl")[0] if r["event"] == "paid")
    assert line["key"] == KEY and line["attempt"] == 1 and line["request_id"] == "req_1" and line["kept"] is True
    assert (tmp_path / "spool" / "paid" / KEY / line["images"][0]["file"]).read_bytes() == paid.images[0].data
    state = replay(read_journal(tmp_path / "journal.jsonl")[0])
    assert state.state(KEY).cost_usd == pytest.approx(0.04)  # the paid line is the spend

    second, again = _session(tmp_path, northwind, call)  # the session was killed before checks: resume
    assert _Counting.calls == 1 and second.replayed == 1 and second.recorded_usd == 0.0
    assert again.images[0].data == paid.images[0].data and again.cost_usd == pytest.approx(0.04)
    assert any("replayed: paid in an earlier session (request id req_1" in note for note in again.notes)


@pytest.mark.parametrize("damage", ["another call", "bytes changed"])
def test_a_render_that_cannot_stand_in_is_requested_again_and_the_log_says_why(
    tmp_path: Path, northwind: brandkit.BrandSpec, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    _Counting.calls = 0
    call = _call(northwind)
    _session(tmp_path, northwind, call)
    if damage == "another call":
        call = _call(northwind, seed=2)
        why = "the request changed"
    else:
        image = next((tmp_path / "spool" / "paid" / KEY).iterdir())
        image.write_bytes(image.read_bytes()[:-10] + b"0123456789")
        why = "changed on disk"
    with caplog.at_level(logging.WARNING, logger="brandkit.variants.paid"):
        ledger, _ = _session(tmp_path, northwind, call)
    assert _Counting.calls == 2 and ledger.replayed == 0
    assert why in caplog.text and "requested again" in caplog.text


@pytest.mark.parametrize(("line_reached_the_file", "unattributed"), [(True, 0.0), (False, 0.034)])
def test_a_paid_line_whose_write_raised_is_counted_once(line_reached_the_file: bool, unattributed: float) -> None:
    """A full disk can make a journal write raise after the line reached the file: the runner then states the render
    as unattributed on ``run_finished`` while replay attributes the line to its variant. The run's spend must count
    it once (found as a 0.034 USD overstatement in tests/test_hostile_outputs.py under load)."""
    records: list[dict[str, object]] = [{"event": "run_started", "ts": 1.0}]
    if line_reached_the_file:
        records.append({"event": "paid", "ts": 2.0, "key": "k1", "attempt": 1, "cost_usd": 0.034})
    records.append({"event": "run_finished", "ts": 3.0, "spent_usd": 0.034, "unattributed_usd": 0.034})
    state = replay(records)
    counted = sum(v.cost_usd for v in state.variants.values()) + sum(s.unattributed_usd for s in state.sessions)
    assert counted == pytest.approx(0.034)
    assert state.sessions[0].unattributed_usd == pytest.approx(unattributed)
    # an older journal without the session's total keeps the runner's figure
    old = replay([{"event": "run_started", "ts": 1.0}, {"event": "run_finished", "ts": 2.0, "unattributed_usd": 0.01}])
    assert old.sessions[0].unattributed_usd == pytest.approx(0.01)
