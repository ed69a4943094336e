"""Render MNIST test digits as realistic "photos" to measure preprocessing robustness.

Each digit is scaled up (100-600 px), thickened or thinned, given either polarity,
tinted ink and paper, an uneven lighting gradient, optional ruled lines, blur, noise,
an off-centre place on a larger canvas, and JPEG (or transparent-canvas PNG) encoding.

``--scenes`` renders harder scenes instead (``render_scene``): a sheet lying on a table,
a small digit on a large page, a soft shadow across the digit, chalk on a board.

CLI: ``python bench/realistic_set.py --n 1000 --out /tmp/realistic [--seed 0] [--scenes]``
writes ``00000.jpg``/``.png`` files and ``labels.csv`` (filename,label).
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


PNG_MAGIC = b"\x89PNG"


def _stroke(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Thicken (MaxFilter) or thin (MinFilter) an ink-bright L image, or leave it."""
    choice = rng.choice(["keep", "thick", "thin"], p=[0.5, 0.3, 0.2])
    size = int(rng.choice([3, 5])) if choice == "thick" else 3
    if choice == "thick":
        return img.filter(ImageFilter.MaxFilter(size))
    if choice == "thin":
        return img.filter(ImageFilter.MinFilter(3))
    return img


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(ink, paper) RGB float colours with either polarity and some tint."""
    paper = rng.uniform(190, 255) - rng.uniform(0, 40, 3) * (rng.random() < 0.4)
    ink = rng.uniform(0, 70, 3) + rng.uniform(0, 90) * np.eye(3)[rng.integers(3)] * (rng.random() < 0.4)
    if rng.random() < 0.25:  # white on black (screenshots, chalkboards)
        ink, paper = 255 - ink * 0.3, ink * 0.5
    return np.clip(ink, 0, 255), np.clip(paper, 0, 255)


def _lines(h: int, w: int, rng: np.random.Generator) -> np.ndarray | None:
    """(h, w) float mask of ruled lines, or None."""
    if rng.random() >= 0.2:
        return None
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    gap = int(rng.uniform(0.12, 0.25) * h)
    for y in range(int(rng.uniform(0, gap)), h, max(gap, 8)):
        draw.line([(0, y), (w, y + rng.uniform(-2, 2))], fill=255, width=max(1, h // 200))
    return np.asarray(img, np.float32) / 255.0


def render_one(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """(28, 28) uint8 ink-bright MNIST digit -> encoded realistic photo bytes."""
    side = int(rng.uniform(100, 600))
    ink_img = _stroke(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC), rng)
    canvas_scale = rng.uniform(1.0, 2.5)
    h = int(side * canvas_scale * rng.uniform(0.8, 1.2))
    w = int(side * canvas_scale * rng.uniform(0.8, 1.2))
    h, w = max(h, side), max(w, side)
    top, left = int(rng.uniform(0, h - side + 1)), int(rng.uniform(0, w - side + 1))
    alpha = np.zeros((h, w), np.float32)
    alpha[top:top + side, left:left + side] = np.asarray(ink_img, np.float32) / 255.0
    if rng.random() < 0.1:  # transparent canvas: strokes are the opaque part
        ink, _ = _colours(rng)
        rgba = np.dstack([np.broadcast_to(ink, (h, w, 3)), alpha[..., None] * 255])
        return _png(Image.fromarray(rgba.astype(np.uint8), "RGBA"))
    ink, paper = _colours(rng)
    lines = _lines(h, w, rng)
    base = np.broadcast_to(paper, (h, w, 3)).astype(np.float32)
    if lines is not None:
        base = base * (1 - 0.35 * lines[..., None] * np.array([1.0, 0.8, 0.2]))
    img = base * (1 - alpha[..., None]) + ink * alpha[..., None]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    img *= (1 - rng.uniform(0, 0.45) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6))[..., None]
    return _camera(img, rng, noise=(0, 10), blur=(0.5, 2.0), quality=(40, 95))


def _camera(img: np.ndarray, rng: np.random.Generator, noise, blur, quality) -> bytes:
    """(h, w, 3) float RGB in [0, 255] -> JPEG bytes after sensor noise (sigma drawn from
    ``noise``), a blur (radius from ``blur``) 40% of the time, and a ``quality`` draw."""
    img = img + rng.normal(0, rng.uniform(*noise), (*img.shape[:2], 1)).astype(np.float32)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    if rng.random() < 0.4:
        pil = pil.filter(ImageFilter.GaussianBlur(rng.uniform(*blur)))
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=int(rng.uniform(*quality)))
    return buf.getvalue()


#: The scene kinds of ``render_scene``: where real photos go wrong beyond ink and paper.
SCENES = ("table", "page", "shadow", "board")


def render_scene(digit: np.ndarray, rng: np.random.Generator, kind: str | None = None) -> bytes:
    """(28, 28) uint8 ink-bright MNIST digit -> a JPEG photo of a harder scene.

    ``kind`` (random if None): "table", a sheet (tilted up to 12 degrees) lying on a
    darker, textured table that fills the rest of the frame; "page", a small digit
    (5-12 % of the longer side) anywhere on a large page; "shadow", a soft-edged shadow
    (darkening to 35-70 %) falling across the digit; "board", chalk on a dark board
    with a bright wall around it.
    """
    kind = kind or SCENES[int(rng.integers(len(SCENES)))]
    if kind not in SCENES:
        raise ValueError(f"kind must be one of {SCENES}; got {kind!r}")
    if kind == "page":
        side = int(rng.uniform(1000, 2000))
        size = max(24, int(side * rng.uniform(0.05, 0.12)))
        h, w = side, int(side * rng.uniform(0.7, 1.0))
    else:
        size = int(rng.uniform(150, 350))
        h, w = int(size * rng.uniform(1.3, 2.0)), int(size * rng.uniform(1.3, 2.0))
    alpha = _stroke(Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC), rng)
    canvas = np.zeros((h, w), np.float32)
    top, left = int(rng.uniform(0, h - size + 1)), int(rng.uniform(0, w - size + 1))
    canvas[top:top + size, left:left + size] = np.asarray(alpha, np.float32) / 255.0
    if kind == "table" or kind == "board":
        canvas, sheet = _on_surround(canvas, rng)
    else:
        sheet = np.ones((h, w), np.float32)
    paper = rng.uniform(200, 250) - rng.uniform(0, 20, 3)
    surround = rng.uniform(40, 110) * np.array([1.0, rng.uniform(0.75, 1.0), rng.uniform(0.5, 1.0)])
    ink = rng.uniform(0, 60, 3)
    if kind == "board":  # a dark board, chalk, a bright wall
        paper, ink, surround = rng.uniform(25, 70, 3), rng.uniform(200, 245, 3), rng.uniform(170, 240, 3)
    texture = np.asarray(Image.fromarray(rng.uniform(-1, 1, (h // 16 + 1, w // 16 + 1)).astype(np.float32))
                         .resize((w, h), Image.Resampling.BICUBIC), np.float32)
    base = sheet[..., None] * paper + (1 - sheet[..., None]) * (surround * (1 + 0.15 * texture[..., None]))
    img = base * (1 - canvas[..., None]) + ink * canvas[..., None]
    if kind == "shadow":
        img *= _soft_shadow(h, w, (top + size / 2, left + size / 2), rng)[..., None]
    return _camera(img, rng, noise=(2, 8), blur=(0.5, 1.5), quality=(50, 95))


def _on_surround(canvas: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shrink (h, w) ink ``canvas`` onto a tilted sheet inside a frame of the same size
    -> (ink, sheet mask), both (h, w) float32 in [0, 1]."""
    h, w = canvas.shape
    scale = rng.uniform(0.55, 0.85)
    angle = rng.uniform(-12, 12)
    sh, sw = int(h * scale), int(w * scale)
    ink = Image.fromarray(canvas).resize((sw, sh), Image.Resampling.BILINEAR)
    sheet = Image.new("F", (sw, sh), 1.0)
    out = []
    top, left = int(rng.uniform(0, h - sh + 1)), int(rng.uniform(0, w - sw + 1))
    for layer in (ink, sheet):
        frame = Image.new("F", (w, h), 0.0)
        frame.paste(layer, (left, top))
        out.append(np.asarray(frame.rotate(angle, Image.Resampling.BILINEAR), np.float32))
    return out[0], out[1]


def _soft_shadow(h: int, w: int, through: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """(h, w) brightness factor: 1 on the lit side of a straight edge passing near
    ``through`` (y, x), ``depth`` in 0.35-0.7 on the shadow side, a 5-40 px penumbra."""
    theta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    offset = rng.uniform(-0.15, 0.15) * min(h, w)
    distance = (yy - through[0]) * np.sin(theta) + (xx - through[1]) * np.cos(theta) - offset
    depth = rng.uniform(0.35, 0.7)
    lit = 1.0 / (1.0 + np.exp(-distance / rng.uniform(5, 40)))
    return (depth + (1 - depth) * lit).astype(np.float32)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def render_realistic(images: np.ndarray, rng: np.random.Generator, scenes: bool = False) -> list[bytes]:
    """(n, 28, 28) uint8 MNIST digits -> n encoded photos (JPEG, or PNG for canvases);
    with ``scenes``, ``render_scene`` photos instead (the kinds in turn)."""
    digits = np.asarray(images, np.uint8)
    if scenes:
        return [render_scene(d, rng, SCENES[i % len(SCENES)]) for i, d in enumerate(digits)]
    return [render_one(d, rng) for d in digits]


def main(argv: list[str] | None = None) -> None:
    """CLI: write N realistic photos of MNIST test digits and labels.csv into a folder."""
    from digit_classifier.config import default_data_dir
    from digit_classifier.mnist import read_idx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenes", action="store_true",
                        help="harder scenes instead: sheet on a table, small digit on a page, "
                             "soft shadow, chalk board on a wall (render_scene)")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    args = parser.parse_args(argv)
    images = read_idx(args.data_dir / "t10k-images-idx3-ubyte.gz")[: args.n]
    labels = read_idx(args.data_dir / "t10k-labels-idx1-ubyte.gz")[: args.n]
    args.out.mkdir(parents=True, exist_ok=True)
    photos = render_realistic(images, np.random.default_rng(args.seed), args.scenes)
    with open(args.out / "labels.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["filename", "label"])
        for i, (data, label) in enumerate(zip(photos, labels)):
            name = f"{i:05d}." + ("png" if data.startswith(PNG_MAGIC) else "jpg")
            (args.out / name).write_bytes(data)
            writer.writerow([name, int(label)])
    print(f"wrote {len(photos)} images and labels.csv to {args.out}")


if __name__ == "__main__":
    main()
