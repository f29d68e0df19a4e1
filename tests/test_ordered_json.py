"""``validate --json``'s document printed from entries kept on disk: the same text ``emit_json`` prints with the
list in memory, in index order whatever order the entries finish in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brandkit.cli.common import emit_json
from brandkit.cli.ordered_json import OrderedEntries, emit_json_with_list


def _entry(i: int) -> dict[str, Any]:
    return {"path": f"/lib/café-{i}.png", "passed": i % 2 == 0, "checks": {"palette": {"score": i / 7}}, "n": [i, None]}


@pytest.mark.parametrize("count", [0, 1, 5])
def test_the_document_is_emit_json_s_text_with_the_entries_in_index_order(
    count: int, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {"ok": False, "exit_code": 1, "files": count, "images": None, "audit": {"worst": ["a\x00b"]}}
    with OrderedEntries(count) as entries:
        for i in reversed(range(count)):  # finished last first
            entries.put(i, _entry(i))
        emit_json_with_list(document, "images", entries)
    streamed = capsys.readouterr().out
    emit_json({**document, "images": [_entry(i) for i in range(count)]})
    assert streamed == capsys.readouterr().out
    assert [e["path"] for e in json.loads(streamed)["images"]] == [f"/lib/café-{i}.png" for i in range(count)]


def test_an_entry_never_put_is_null_and_the_file_goes_on_close(capsys: pytest.CaptureFixture[str]) -> None:
    entries = OrderedEntries(3)
    entries.put(2, {"path": "c"})
    entries.put(0, {"path": "a"})
    emit_json_with_list({"images": None, "ok": True}, "images", entries)
    assert json.loads(capsys.readouterr().out) == {"images": [{"path": "a"}, None, {"path": "c"}], "ok": True}
    kept = entries._file
    assert kept is not None
    entries.close()
    assert kept.closed
