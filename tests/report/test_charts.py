"""Charts are SVG that survives a black and white print: colour and pattern per series."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from prisme_drift.report.charts import Series, horizontal_bars, stacked_columns

SVG = "{http://www.w3.org/2000/svg}"


def test_horizontal_bars_print_each_value_and_label() -> None:
    root = ET.fromstring(horizontal_bars(["élevée", "moyenne"], [7, 0]))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["élevée", "7", "moyenne", "0"]


def test_stacked_columns_use_a_pattern_for_every_series_but_the_first() -> None:
    svg = stacked_columns(
        ["S48", "S49"],
        [
            Series("autorisées", (2, 0)),
            Series("non autorisées", (1, 3)),
            Series("acceptées", (0, 1)),
        ],
    )
    root = ET.fromstring(svg)
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    ids = {p.get("id"): p.get("id", "").rsplit("-", 1)[-1] for p in root.iter(f"{SVG}pattern")}
    used = {fill[5:-1] for fill in fills if fill and fill.startswith("url(#")}
    assert used <= set(ids) and {ids[u] for u in used} == {"hatch", "dots"}
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"S48", "S49", "autorisées", "non autorisées", "acceptées", "4"} <= set(labels)


def test_two_charts_on_one_page_never_share_a_pattern_id() -> None:
    """Ids are global to an HTML page: the monthly summary shows two charts on one page."""
    weeks = stacked_columns(["S48"], [Series("a", (1,)), Series("b", (2,))])
    categories = horizontal_bars(["VLAN", "ACL"], [3, 1])
    first, second = (
        {p.get("id") for p in ET.fromstring(svg).iter(f"{SVG}pattern")}
        for svg in (weeks, categories)
    )
    assert first and second and not first & second
    assert stacked_columns(["S48"], [Series("a", (1,))]) == stacked_columns(
        ["S48"], [Series("a", (1,))]
    )  # stable: the same data renders the same document
