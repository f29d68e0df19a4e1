"""The one box scaling (``geometry.scaled_box``): what the checks (``Expectation.in_image``) and the verification
report (the expected logo box, the heat map's photo area) use for a layout's box on a file of another size."""

from __future__ import annotations

from brandkit.checks.base import Expectation
from brandkit.geometry import scaled_box


def test_a_box_is_scaled_edge_by_edge_and_rounded() -> None:
    assert scaled_box((56, 56, 302, 136), (1024, 1024), (2048, 3072)) == (112, 168, 604, 408)
    assert scaled_box((10, 10, 21, 21), (1536, 1024), (1000, 667)) == (7, 7, 14, 14)


def test_an_unknown_or_equal_size_leaves_the_box() -> None:
    box = (1, 2, 3, 4)
    assert scaled_box(box, None, (100, 100)) == box
    assert scaled_box(box, (0, 50), (100, 100)) == box
    assert scaled_box(box, (100, 100), (100, 100)) == box


def test_the_checks_scale_a_layout_box_as_the_report_does() -> None:
    expectation = Expectation(width=1024, height=1536, output_format="png")
    assert expectation.in_image((40, 60, 400, 300), (2048, 3072)) == scaled_box(
        (40, 60, 400, 300), (1024, 1536), (2048, 3072)
    )
    assert Expectation(output_format="png").in_image((40, 60, 400, 300), (2048, 3072)) == (40, 60, 400, 300)
