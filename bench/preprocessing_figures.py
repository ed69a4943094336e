"""Draw the preprocessing stages (input -> ink -> mask -> crop -> 28x28) for the docs.

Usage: ``python bench/preprocessing_figures.py`` writes PNGs into ``docs/img/``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from digit_classifier.preprocessing import PreprocessConfig, trace_image  # noqa: E402
from realistic_set import render_one  # noqa: E402
from tests.support import images as f  # noqa: E402

TILE = 140


def _tile(img: Image.Image | np.ndarray, label: str) -> Image.Image:
    """Fit an image (PIL or float array in [0, 1]) into a labelled TILE x TILE square."""
    if isinstance(img, np.ndarray):
        img = Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8))
    img = img.convert("RGB")
    nearest = max(img.size) <= 28
    scale = (TILE - 20) / max(img.size)
    img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                     Image.Resampling.NEAREST if nearest else Image.Resampling.BOX)
    out = Image.new("RGB", (TILE, TILE), (128, 128, 128))
    out.paste(img, ((TILE - img.width) // 2, 18 + (TILE - 20 - img.height) // 2))
    ImageDraw.Draw(out).text((4, 3), label, fill=(255, 255, 0))
    return out


def _cases() -> dict[str, bytes]:
    rng = np.random.default_rng(3)
    digits = {i: f.mnist_digit(i)[0] for i in (0, 1, 2, 4, 8, 11)}
    photos = [render_one(digits[i], rng) for i in (0, 1, 2, 4, 8, 11)]
    return {
        "clean_png": f.digit_png_bytes(3),
        "screenshot_white_on_black": f.digit_png_bytes(7, dark_on_light=False),
        "rgba_canvas": f.rgba_canvas_png_bytes(2, colour=(20, 20, 20)),
        "phone_photo": f.huge_jpeg_bytes(size=(1600, 1200)),
        "off_centre": f.off_centre_png_bytes(4),
        **{f"realistic_{k}": p for k, p in enumerate(photos)},
    }


def figure(data: bytes) -> Image.Image:
    """One row: input, ink map, selected mask, crop, mnist 28x28, center 28x28."""
    tr = trace_image(data)
    centre = trace_image(data, PreprocessConfig(mode="center")).image28
    src = Image.open(io.BytesIO(data))
    if src.mode in ("RGBA", "LA"):
        checker = Image.new("RGBA", src.size, (200, 230, 255, 255))
        src = Image.alpha_composite(checker, src.convert("RGBA"))
    tiles = [_tile(src, "input"), _tile(tr.ink, "ink map"), _tile(tr.mask.astype(float), "digit mask"),
             _tile(tr.crop, "crop"), _tile(tr.image28, "mnist 28x28"), _tile(centre, "center 28x28")]
    row = Image.new("RGB", (TILE * len(tiles), TILE))
    for i, t in enumerate(tiles):
        row.paste(t, (i * TILE, 0))
    return row


def main() -> None:
    out_dir = ROOT / "docs" / "img"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in _cases().items():
        figure(data).save(out_dir / f"preprocess_{name}.png", optimize=True)
    print(f"wrote figures to {out_dir}")


if __name__ == "__main__":
    main()
