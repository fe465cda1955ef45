"""The SVG chart module: well-formed XML, every label escaped, sensible geometry."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from govdesk.reports import charts

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & 住建局 \'"'


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)  # noqa: S314 - our own markup
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    "markup",
    [
        charts.bar_chart([(NASTY, 3), ("城乡建设", 10)], title=NASTY),
        charts.line_chart(["10-01", "10-02", NASTY], [(NASTY, [1, 2, 3]), ("办结量", [0, 1, 1])], title=NASTY),
        charts.pie_chart([(NASTY, 2), ("电话", 5)], title=NASTY),
    ],
)
def test_charts_are_valid_xml_with_labels_escaped(markup: str) -> None:
    assert "<script" not in markup
    root = parse(markup)
    assert not list(root.iter(f"{SVG}script"))
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text == NASTY  # type: ignore[union-attr]
    # The label survives intact (bar labels are shortened, so look for its start).
    assert any(t.startswith(NASTY[:9]) or NASTY in t for t in texts(root))
    assert "Noto Sans CJK SC" in root.get("font-family", "")


def test_bar_heights_are_proportional_and_values_printed() -> None:
    root = parse(charts.bar_chart([("甲", 5), ("乙", 10)], height=260))
    heights = [float(r.get("height", 0)) for r in root.iter(f"{SVG}rect")]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert {"5", "10"} <= set(texts(root))


def test_many_bars_get_rotated_labels_and_long_labels_are_shortened() -> None:
    items = [(f"很长很长很长的分类名称{i}", i) for i in range(12)]
    root = parse(charts.bar_chart(items))
    rotated = [t for t in root.iter(f"{SVG}text") if "rotate" in t.get("transform", "")]
    assert len(rotated) == 12
    assert all(len(t.text or "") <= charts.MAX_LABEL_CHARS for t in rotated)


def test_pie_slices_share_the_whole_and_extra_items_become_other() -> None:
    items = [(f"渠道{i}", 10 - i) for i in range(10)]
    root = parse(charts.pie_chart(items, max_slices=4))
    assert len(list(root.iter(f"{SVG}path"))) == 4
    labels = texts(root)
    assert any(label.startswith("其他") for label in labels)
    shares = [float(label.split("（")[1].rstrip("%）")) for label in labels if "（" in label]
    assert sum(shares) == pytest.approx(100, abs=0.3)


def test_a_pie_of_one_item_is_a_circle_and_of_nothing_says_so() -> None:
    assert len(list(parse(charts.pie_chart([("电话", 3)])).iter(f"{SVG}circle"))) == 1
    assert "无数据" in texts(parse(charts.pie_chart([("电话", 0)])))


def test_empty_and_zero_series_still_draw() -> None:
    parse(charts.bar_chart([]))
    parse(charts.line_chart([], []))
    root = parse(charts.line_chart(["a", "b"], [("受理量", [0, 0])]))
    assert root.find(f"{SVG}polyline") is not None


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (0.4, 0.5), (7, 10), (10, 10), (11, 20), (180, 200), (501, 1000)]
)
def test_axis_maximum_is_a_round_number(value: float, expected: float) -> None:
    assert charts._nice_max(value) == pytest.approx(expected)
