"""The map of the regions one level down, drawn from the bundled GeoJSON (no network).

Pillow draws the polygons (no plotting library needed): longitude/latitude are projected
equirectangularly with the x axis scaled by cos(mean latitude), which is exact enough for a
province near the equator. Colours follow the prevalence thresholds of de Onis et al. 2019
(Public Health Nutrition 22(1):175-179): < 2.5 very low, < 10 low, < 20 medium, < 30 high,
>= 30 very high.
"""

from __future__ import annotations

import io
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from tumbuh.reports.rakor.words import Lang, number

__all__ = ["BANDS", "FONT_DIRS", "draw_map", "font_path"]

# (upper bound %, colour, label id, label en)
BANDS: tuple[tuple[float, str, str, str], ...] = (
    (2.5, "#1a9850", "< 2,5 % sangat rendah", "< 2.5 % very low"),
    (10.0, "#91cf60", "2,5-10 % rendah", "2.5-10 % low"),
    (20.0, "#fee08b", "10-20 % sedang", "10-20 % medium"),
    (30.0, "#fc8d59", "20-30 % tinggi", "20-30 % high"),
    (math.inf, "#d73027", ">= 30 % sangat tinggi", ">= 30 % very high"),
)
NO_VALUE = "#d9d9d9"
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
_FILES = {"kabkota": "kabkota", "kecamatan": "kecamatan", "desa": "desa"}
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
_W, _H, _PAD, _LEGEND = 1400, 1000, 30, 330


def font_path(bold: bool = False) -> Path | None:
    """DejaVu Sans (Debian's fonts-dejavu-core) if the system has it."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return next((d / name for d in FONT_DIRS if (d / name).exists()), None)


@cache
def _features(province: str, level: str) -> tuple[dict[str, Any], ...]:
    name = f"{province}_{_FILES[level]}.geojson"
    path = DATA_DIR / "geo" / name
    if not path.is_file():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(data["features"])


def _rings(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    coords = geometry["coordinates"]
    polys = coords if geometry["type"] == "MultiPolygon" else [coords]
    return [[(float(x), float(y)) for x, y, *_ in poly[0]] for poly in polys]


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _color(value: float | None) -> str:
    if value is None:
        return NO_VALUE
    return next(c for upper, c, *_ in BANDS if value < upper)


def draw_map(
    region: str,
    level: str,
    values: dict[str, float | None],
    *,
    names: dict[str, str],
    lang: Lang,
) -> bytes | None:
    """A PNG of the regions of `level` under `region`, coloured by `values` (%), with the
    value written at each region's label point; None without a GeoJSON for the province."""
    from PIL import Image, ImageDraw, ImageFont

    feats = [
        f
        for f in _features(region[:2], level)
        if str(f["properties"]["kode"]).startswith(region + ".")
    ]
    if not feats:
        return None
    shapes = [(str(f["properties"]["kode"]), _rings(f["geometry"])) for f in feats]
    xs = [x for _, rings in shapes for ring in rings for x, _ in ring]
    ys = [y for _, rings in shapes for ring in rings for _, y in ring]
    kx = math.cos(math.radians((min(ys) + max(ys)) / 2))
    width = (max(xs) - min(xs)) * kx or 1.0
    height = (max(ys) - min(ys)) or 1.0
    scale = min((_W - _LEGEND - 2 * _PAD) / width, (_H - 2 * _PAD) / height)

    def xy(x: float, y: float) -> tuple[float, float]:
        return (_PAD + (x - min(xs)) * kx * scale, _PAD + (max(ys) - y) * scale)

    img = Image.new("RGB", (_W, _H), "white")
    draw = ImageDraw.Draw(img)
    regular, bold = font_path(), font_path(bold=True)
    small = (
        ImageFont.truetype(str(regular), 20) if regular else ImageFont.load_default()
    )
    label_font = ImageFont.truetype(str(bold), 20) if bold else small
    for code, rings in shapes:
        for ring in rings:
            draw.polygon(
                [xy(x, y) for x, y in ring],
                fill=_color(values.get(code)),
                outline="#555555",
            )
    placed: list[tuple[float, float, float, float]] = []
    for f in sorted(feats, key=lambda f: str(f["properties"]["kode"])):
        code = str(f["properties"]["kode"])
        props = f["properties"]
        if props.get("lng") is None or props.get("lat") is None:
            continue
        x, y = xy(float(props["lng"]), float(props["lat"]))
        value = values.get(code)
        text = names.get(code, str(props.get("nama", code)))
        for prefix in ("Kabupaten ", "Kota "):
            text = text.removeprefix(prefix)
        shown = "-" if value is None else number(value, lang)
        label = f"{text}\n{shown} %"
        # Labels of neighbouring small regions (a city inside a regency) would overlap:
        # move a label down until its box is free.
        box = draw.multiline_textbbox((x, y), label, font=label_font, anchor="mm")
        for _ in range(12):
            if not any(_overlap(box, other) for other in placed):
                break
            y += box[3] - box[1] + 4
            box = draw.multiline_textbbox((x, y), label, font=label_font, anchor="mm")
        placed.append(box)
        draw.multiline_text(
            (x, y), label, fill="black", font=label_font, anchor="mm", align="center"
        )
    # Legend
    lx, ly = _W - _LEGEND + 10, _PAD + 10
    title = "Stunting (data rutin)" if lang == "id" else "Stunting (routine)"
    draw.text((lx, ly), title, fill="black", font=label_font)
    entries = [(c, li if lang == "id" else le) for _, c, li, le in BANDS]
    entries.append((NO_VALUE, "tidak ada angka" if lang == "id" else "no figure"))
    for i, (color, text) in enumerate(entries):
        top = ly + 40 + i * 34
        draw.rectangle((lx, top, lx + 26, top + 24), fill=color, outline="#555555")
        draw.text((lx + 36, top), text, fill="black", font=small)
    source = (
        "Batas wilayah: data/geo (Kemendagri)"
        if lang == "id"
        else "Boundaries: data/geo (Kemendagri)"
    )
    draw.text((_PAD, _H - _PAD - 24), source, fill="#555555", font=small)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
