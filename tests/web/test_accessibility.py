"""The palette meets WCAG 2.1 AA contrast (4.5:1 for text, 3:1 for focus rings and status borders)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "src/tumbuh/web/static/css/tumbuh.css"


def _luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _variables() -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS.read_text()))


def _rule_colours(selector: str) -> tuple[str, str]:
    body = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS.read_text())
    assert body is not None, selector
    fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", body.group(1))
    bg = re.search(r"background:\s*(#[0-9a-fA-F]{6})", body.group(1))
    assert fg is not None and bg is not None, selector  # noqa: PT018
    return fg.group(1), bg.group(1)


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("name", ["ink", "muted", "brand", "brand-dark", "alert"])
def test_text_colours_reach_4_5_to_1_on_white_and_page_background(name: str) -> None:
    colour = _variables()[name]
    assert contrast(colour, "#ffffff") >= 4.5
    assert contrast(colour, "#fafbfa") >= 4.5


def test_white_text_on_brand_buttons_and_header() -> None:
    assert contrast("#ffffff", _variables()["brand"]) >= 4.5


def test_focus_ring_reaches_3_to_1() -> None:
    assert contrast(_variables()["focus"], "#ffffff") >= 3.0
    # In the green header the ring is white (the orange one would vanish there).
    assert ".site-header :focus-visible { outline-color: #fff; }" in CSS.read_text()
    assert contrast("#ffffff", _variables()["brand"]) >= 3.0


@pytest.mark.parametrize(
    "selector", [".status-rising", ".status-stalled", ".status-no_data", ".alert {"]
)
def test_status_badges_are_readable(selector: str) -> None:
    if selector == ".alert {":
        fg, bg = _variables()["alert"], _variables()["alert-bg"]
    else:
        fg, bg = _rule_colours(selector)
    assert contrast(fg, bg) >= 4.5


def test_table_headers_are_readable() -> None:
    assert contrast(_variables()["ink"], _variables()["accent-bg"]) >= 4.5


# --------------------------------------------------------------------------- every badge
# Issue 17: every rule of the stylesheet that sets both a text colour and a background
# (status badges, buttons, notices...) reaches 4.5:1, computed from the CSS values; the
# quality badges, whose background comes from the page (insights.QUALITY_COLORS), too.


def _hex(value: str) -> str | None:
    """#rrggbb of a CSS colour value (#rgb, #rrggbb or var(--name)); None otherwise."""
    value = value.strip().split()[0] if value.strip() else ""
    found = re.fullmatch(r"var\(--([a-z-]+)\)", value)
    if found:
        value = _variables().get(found.group(1), "")
    if re.fullmatch(r"#[0-9a-fA-F]{3}", value):
        return "#" + "".join(c * 2 for c in value[1:]).lower()
    if re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return value.lower()
    return None


def _rules() -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every innermost rule, @media bodies included."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    out = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        decls = {}
        for decl in body.split(";"):
            name, _, value = decl.partition(":")
            if value:
                decls[name.strip()] = value.strip()
        out.append((" ".join(selector.split()), decls))
    return out


def _coloured_rules() -> list[tuple[str, str, str]]:
    pairs = []
    for selector, decls in _rules():
        fg = _hex(decls.get("color", ""))
        bg = _hex(decls.get("background", decls.get("background-color", "")))
        if fg and bg:
            pairs.append((selector, fg, bg))
    return pairs


def test_the_css_parser_finds_the_status_badges() -> None:
    selectors = " ".join(s for s, _, _ in _coloured_rules())
    from tumbuh.surveillance.warning import Status

    for status in Status:
        assert f".status-{status.value}" in selectors, status


@pytest.mark.parametrize(
    ("selector", "fg", "bg"), _coloured_rules(), ids=lambda v: str(v)[:40]
)
def test_every_rule_with_text_and_background_reaches_4_5_to_1(
    selector: str, fg: str, bg: str
) -> None:
    assert contrast(fg, bg) >= 4.5, f"{selector}: {fg} on {bg}"


def test_quality_badges_on_every_band_colour_reach_4_5_to_1() -> None:
    from tumbuh.web.figures import NO_VALUE_COLOR
    from tumbuh.web.insights import QUALITY_COLORS

    fg = next(_hex(d["color"]) for s, d in _rules() if s == ".badge" and "color" in d)
    assert fg is not None
    for band, bg in {**QUALITY_COLORS, "none": NO_VALUE_COLOR}.items():
        assert contrast(fg, bg) >= 4.5, band
