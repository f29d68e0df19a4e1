"""Forbidden-term matching: the evasion corpus is blocked, ordinary words are not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from brandkit.spec.forbidden import ForbiddenMatcher, normalize

CORPUS: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "data" / "evasion_corpus.yaml").read_text("utf-8"))
MATCHER = ForbiddenMatcher(CORPUS["terms"], CORPUS["competitors"], CORPUS["patterns"])


@pytest.mark.parametrize("case", CORPUS["blocked"], ids=lambda c: f"{c['kind']}:{c['text'][:16]}")
def test_evasion_corpus_is_blocked(case: dict[str, str]) -> None:
    assert MATCHER.find(case["text"]), f"{case['kind']} evasion not blocked: {case['text']!r}"


@pytest.mark.parametrize("text", CORPUS["allowed"])
def test_whole_words_only(text: str) -> None:
    assert MATCHER.find(text) == []


def test_corpus_covers_every_trick_named_in_the_requirements() -> None:
    kinds = {case["kind"].split("-")[0] for case in CORPUS["blocked"]}
    assert {"homoglyph", "fullwidth", "zero", "combining", "spaces", "punctuation", "leetspeak", "mixed"} <= kinds


def test_normalize_strips_tricks() -> None:
    assert normalize("Ｆｒéé\u200b") == "free"
    assert normalize("Ѕtаrbucks") == "starbucks"


def test_match_reports_rule_and_kind() -> None:
    (match,) = MATCHER.find("Better than Starbucks")
    assert match.kind == "competitor" and match.rule == "Starbucks"
