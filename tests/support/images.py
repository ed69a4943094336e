"""Reproducible test images (PIL) for every test folder and bench/: digits, odd formats, bad files.

Digits come two ways: ``drawn_digit`` renders 0-9 as pen strokes (no data needed), and
``mnist_digit`` reads a real MNIST test digit from the data directory;
``mnist_digit_bytes`` turns any (28, 28) MNIST digit into an upload (scale, polarity,
format). Encoded images are returned as bytes; the catalogues of named uploads with
their expected outcome are in ``tests/support/uploads.py``.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from digit_classifier.preprocessing import loading  # noqa: F401  (registers pillow-heif: HEIF encodes too)


def _arc(cx, cy, rx, ry, start, stop, n=24):
    """Points on an ellipse arc (degrees, 0 = right, clockwise in image coordinates)."""
    t = np.radians(np.linspace(start, stop, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


#: Each digit as polylines in the unit square (x right, y down).
STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.3, 0.42, 0, 360, 40)],
    1: [[(0.35, 0.25), (0.55, 0.08), (0.55, 0.92)]],
    2: [_arc(0.5, 0.32, 0.28, 0.24, 200, 370) + [(0.2, 0.92), (0.82, 0.92)]],
    3: [_arc(0.48, 0.3, 0.26, 0.21, 200, 450), _arc(0.48, 0.7, 0.3, 0.22, 270, 520)],
    4: [[(0.62, 0.92), (0.62, 0.08), (0.18, 0.66), (0.85, 0.66)]],
    5: [[(0.78, 0.08), (0.3, 0.08), (0.26, 0.45)] + _arc(0.48, 0.66, 0.3, 0.26, 230, 500)],
    6: [_arc(0.55, 0.35, 0.3, 0.35, 270, 180, 12)[::-1][:1] + [(0.7, 0.08), (0.3, 0.55)]
        + _arc(0.5, 0.7, 0.27, 0.22, 180, 540)],
    7: [[(0.18, 0.08), (0.82, 0.08), (0.4, 0.92)]],
    8: [_arc(0.5, 0.28, 0.22, 0.2, 0, 360), _arc(0.5, 0.7, 0.28, 0.22, 0, 360)],
    9: [_arc(0.5, 0.32, 0.26, 0.24, 0, 360), [(0.76, 0.32), (0.7, 0.92)]],
}


def drawn_digit(digit: int = 3, size: tuple[int, int] = (280, 280), *, ink=0, paper=255,
                mode: str = "L", stroke: float = 0.08, scale: float = 0.7,
                centre: tuple[float, float] = (0.5, 0.5), seed: int = 0) -> Image.Image:
    """Render ``digit`` as strokes on a ``size`` (w, h) canvas.

    ``ink``/``paper`` are colours for ``mode``; ``stroke`` is the pen width as a fraction
    of the digit height (``scale`` x the shorter side); ``centre`` is the digit centre as
    fractions of (w, h); ``seed`` jitters the stroke points slightly.
    """
    if digit not in STROKES:
        raise ValueError(f"digit must be 0-9; got {digit!r}")
    w, h = size
    img = Image.new(mode, size, paper)
    draw = ImageDraw.Draw(img)
    side = scale * min(w, h)
    rng = np.random.default_rng(seed)
    width = max(1, round(stroke * side))
    for line in STROKES[digit]:
        pts = np.asarray(line) + rng.normal(0, 0.01, (len(line), 2))
        xy = [(centre[0] * w + (px - 0.5) * side * 0.8, centre[1] * h + (py - 0.5) * side)
              for px, py in pts]
        draw.line(xy, fill=ink, width=width, joint="curve")
        r = width / 2
        for x, y in (xy[0], xy[-1]):  # round caps
            draw.ellipse([x - r, y - r, x + r, y + r], fill=ink)
    return img


@lru_cache(maxsize=1)
def _mnist_test_images() -> np.ndarray:
    from digit_classifier.config import default_data_dir
    from digit_classifier.mnist import read_idx

    return read_idx(Path(default_data_dir()) / "t10k-images-idx3-ubyte.gz")


@lru_cache(maxsize=1)
def _mnist_test_labels() -> np.ndarray:
    from digit_classifier.config import default_data_dir
    from digit_classifier.mnist import read_idx

    return read_idx(Path(default_data_dir()) / "t10k-labels-idx1-ubyte.gz")


def mnist_digit(index: int = 0) -> tuple[np.ndarray, int]:
    """Real MNIST test digit ``index`` -> ((28, 28) uint8 ink bright, label)."""
    return _mnist_test_images()[index], int(_mnist_test_labels()[index])


def mnist_correlations(uploads: list[bytes]) -> np.ndarray:
    """(n,) correlation of each upload's preprocessed 784 row with MNIST test digit i, for
    upload i: how closely the pipeline gives back the digit the picture was drawn from."""
    from digit_classifier.preprocessing import preprocess_image

    return np.array([np.corrcoef(preprocess_image(upload), mnist_digit(i)[0].reshape(784) / 255.0)[0, 1]
                     for i, upload in enumerate(uploads)])


def encode(img: Image.Image, fmt: str = "PNG", **params) -> bytes:
    """Encode ``img`` in ``fmt`` (PNG, JPEG, GIF, BMP, WEBP, TIFF, AVIF, HEIF) -> bytes."""
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def convert(img: Image.Image, mode: str) -> Image.Image:
    """Convert an L or RGB image to ``mode`` (L, RGB, P, LA, RGBA, I;16, 1, CMYK)."""
    if mode == "I;16":
        return Image.fromarray(np.asarray(img.convert("L"), np.uint16) * 257)
    return img.convert(mode)



def mnist_digit_image(pixels: np.ndarray, *, scale: int = 8, dark_on_light: bool = True,
                      canvas: tuple[int, int] | None = None) -> Image.Image:
    """A (28, 28) uint8 MNIST digit (ink bright) upscaled ``scale`` times (bicubic), mode L.

    ``dark_on_light`` inverts MNIST's white-on-black; ``canvas`` (w, h) pads the upscaled
    digit, centred, into a rectangle of that size filled with the background colour.
    """
    grey = 255 - pixels if dark_on_light else pixels
    side = 28 * scale
    image = Image.fromarray(grey.astype(np.uint8), "L").resize((side, side), Image.Resampling.BICUBIC)
    if canvas is None:
        return image
    framed = Image.new("L", canvas, 255 if dark_on_light else 0)
    framed.paste(image, ((canvas[0] - side) // 2, (canvas[1] - side) // 2))
    return framed


def mnist_digit_bytes(pixels: np.ndarray, fmt: str = "PNG", *, scale: int = 8,
                      dark_on_light: bool = True, mode: str = "L",
                      canvas: tuple[int, int] | None = None) -> bytes:
    """A (28, 28) uint8 MNIST digit as an upload: ``mnist_digit_image`` converted to
    ``mode`` and encoded as ``fmt`` (the one "MNIST digit -> file bytes" helper)."""
    image = mnist_digit_image(pixels, scale=scale, dark_on_light=dark_on_light, canvas=canvas)
    return encode(convert(image, mode), fmt)


def solid_mnist_mask(pixels: np.ndarray) -> np.ndarray:
    """(28, 28) uint8 MNIST digit -> (224, 224) bool: scaled 8x (bicubic), at half range,
    thickened 4 px (room inside the strokes for a pattern or a hollow)."""
    from digit_classifier.preprocessing.mnist_form import dilate

    big = np.asarray(Image.fromarray(pixels).resize((224, 224), Image.Resampling.BICUBIC)) > 127
    return dilate(big, 9)


def textured(solid: np.ndarray, fill: str) -> np.ndarray:
    """(h, w) bool ``solid`` digit -> (h, w) bool ink: "outline" its 3 px contour (a hollow
    digit); "hatch" that contour, cross-hatched inside with 6 px lines; "dots" the digit
    with 18 px paper-coloured dots punched out, 28 px apart (2 px at the 20 px scale, where
    smaller dots blur into grey)."""
    from digit_classifier.preprocessing.mnist_form import dilate

    yy, xx = np.mgrid[0:solid.shape[0], 0:solid.shape[1]]
    if fill == "dots":
        return solid & ((yy % 28 - 14) ** 2 + (xx % 28 - 14) ** 2 >= 81)
    ink = solid & dilate(~solid, 7)
    if fill == "hatch":
        ink |= solid & (((yy + xx) % 20 < 6) | ((yy - xx) % 20 < 6))
    return ink


def ink_png_bytes(ink: np.ndarray, margin: int = 0) -> bytes:
    """(h, w) bool ink -> PNG, black on white, with ``margin`` px of paper round it."""
    page = np.pad(np.where(ink, 0, 255).astype(np.uint8), margin, constant_values=255)
    return encode(Image.fromarray(page), "PNG")


def mnist_rgba_canvas(pixels: np.ndarray, scale: int = 8) -> Image.Image:
    """A (28, 28) MNIST digit as black ink on a fully transparent background (RGBA), like
    an unfilled HTML canvas: the upscaled digit is the alpha channel."""
    alpha = mnist_digit_image(pixels, scale=scale, dark_on_light=False)
    image = Image.new("RGBA", alpha.size, (0, 0, 0, 0))
    image.putalpha(alpha)
    return image

def digit_bytes(digit: int = 3, fmt: str = "PNG", mode: str = "L", *, size=(280, 280),
                dark_on_light: bool = True, seed: int = 0) -> bytes:
    """A drawn digit converted to ``mode`` and encoded as ``fmt``."""
    ink, paper = (0, 255) if dark_on_light else (255, 0)
    return encode(convert(drawn_digit(digit, size, ink=ink, paper=paper, seed=seed), mode), fmt)


def digit_png_bytes(digit: int = 3, size: int = 280, dark_on_light: bool = True) -> bytes:
    """A drawn digit as a ``size`` x ``size`` grey PNG."""
    return digit_bytes(digit, "PNG", size=(size, size), dark_on_light=dark_on_light)


def digit_jpeg_bytes(digit: int = 3, size: int = 280, dark_on_light: bool = True) -> bytes:
    """A drawn digit as an RGB JPEG (quality 85)."""
    ink, paper = ((0, 0, 0), (255, 255, 255)) if dark_on_light else ((255,) * 3, (0,) * 3)
    img = drawn_digit(digit, (size, size), ink=ink, paper=paper, mode="RGB")
    return encode(img, "JPEG", quality=85)


def rgba_canvas_png_bytes(digit: int = 3, size: int = 280, colour=(0, 0, 0)) -> bytes:
    """A browser-canvas style drawing: ``colour`` strokes on fully transparent black."""
    img = drawn_digit(digit, (size, size), ink=colour + (255,), paper=(0, 0, 0, 0), mode="RGBA")
    return encode(img, "PNG")


def rectangular_png_bytes(digit: int = 3, size=(420, 160)) -> bytes:
    """A wide image with the digit off to the left."""
    return encode(drawn_digit(digit, size, centre=(0.3, 0.5), scale=0.8), "PNG")


def off_centre_png_bytes(digit: int = 3, size=(1200, 900), centre=(0.8, 0.25)) -> bytes:
    """A small digit far from the centre of a large canvas."""
    return encode(drawn_digit(digit, size, centre=centre, scale=0.2), "PNG")


def exif_rotated_bytes(digit: int = 7, size: int = 280, orientation: int = 6, fmt: str = "JPEG") -> bytes:
    """A photo (``fmt``: JPEG, HEIF as iPhones save, or AVIF) whose pixels are stored rotated,
    with the EXIF tag that rotates them back (HEIF and AVIF encoders write it as a rotation box)."""
    upright = drawn_digit(digit, (size, size), mode="RGB", ink=(0, 0, 0), paper=(255,) * 3)
    undo = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
            8: Image.Transpose.ROTATE_270}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    # As bytes: pillow-heif then writes the rotation box, as an iPhone does (not with an Exif object).
    return encode(upright.transpose(undo), fmt, quality=92, exif=exif.tobytes())


def square_png_bytes(side: int, digit: int = 1) -> bytes:
    """A ``side`` x ``side`` digit image (8 is the smallest accepted, 7 is too small)."""
    img = Image.new("L", (side, side), 255)
    ImageDraw.Draw(img).line([(side // 2, 1), (side // 2, side - 2)], fill=0, width=max(1, side // 6))
    return encode(img, "PNG")


def tiny_png_bytes() -> bytes:
    """8 x 8 px (``MIN_SIDE``): the smallest accepted size."""
    return square_png_bytes(8)


def too_small_png_bytes() -> bytes:
    """7 x 7 px: one pixel under the minimum."""
    return square_png_bytes(7)


def huge_jpeg_bytes(size=(4000, 3000), digit: int = 5, seed: int = 0) -> bytes:
    """A 12 MP phone-photo-like JPEG: a digit on grey-white paper with noise and shading."""
    w, h = size
    img = drawn_digit(digit, size, ink=40, paper=225, scale=0.5, stroke=0.06, seed=seed)
    rng = np.random.default_rng(seed)
    ramp = np.linspace(-25, 15, w, dtype=np.float32)[None, :]
    arr = np.asarray(img, np.float32) + ramp + rng.normal(0, 4, (h, w)).astype(np.float32)
    grey = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return encode(Image.merge("RGB", [grey] * 3), "JPEG", quality=85)


def truncated_png_bytes() -> bytes:
    """A valid PNG header with the pixel data cut off."""
    data = digit_png_bytes()
    return data[: len(data) // 2]


def text_as_png_bytes() -> bytes:
    """Plain text, as if a .txt were renamed .png."""
    return b"This is not an image, just some text saved with a .png name.\n" * 4


def empty_bytes() -> bytes:
    """Zero bytes."""
    return b""


def blank_png_bytes(size=(280, 280), value: int = 255) -> bytes:
    """A uniform image: nothing drawn."""
    return encode(Image.new("L", size, value), "PNG")


#: A bold sans font of Debian's fonts-dejavu-core (tests/install_packages.sh installs it).
BOLD_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def captioned_page(digit: int, where: str | None, *, height: int = 420,
                   text: str = "Total score:") -> tuple[bytes, tuple[int, int, int, int]]:
    """A thin-pen ``digit`` (``drawn_digit``, strokes 2 px) on a white page 1.5 x
    ``height`` wide, with a bold caption ``text`` "under" it, "beside" it or None, as a
    form or a notebook has it.

    Returns (PNG bytes, the caption's box as (top, left, bottom, right), inclusive; all
    -1 without a caption). The caption outweighs the digit and lies a third of the
    digit's height away from it."""
    from PIL import ImageFont

    width = int(1.5 * height)
    page = drawn_digit(digit, (width, height), stroke=0.012, scale=0.45, centre=(0.25, 0.4), seed=digit)
    if where is None:
        return encode(page), (-1, -1, -1, -1)
    side = 0.45 * height                         # the digit's height (drawn_digit's scale)
    centre_x, centre_y = 0.25 * width, 0.4 * height
    if where == "under":
        origin = (int(centre_x - 0.4 * side), int(centre_y + side / 2 + side / 3))
    elif where == "beside":
        origin = (int(centre_x + 0.4 * side + side / 3), int(centre_y))
    else:
        raise ValueError(f"where must be 'under', 'beside' or None; got {where!r}")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(BOLD_FONT), height // 14)
    draw.text(origin, text, font=font, fill=0)
    left, top, right, bottom = draw.textbbox(origin, text, font=font)
    return encode(page), (top, left, bottom - 1, right - 1)


def pen_photo(index: int, rng: np.random.Generator) -> bytes:
    """MNIST test digit ``index`` thinned to a ballpoint's stroke (about 2.5% of its 160 px
    frame) on a 600x600 page, and a 36 px wide pen 500 px long lying beside it at an angle,
    cut by the frame or not, with a shadow: a pen at real proportions. JPEG."""
    digit = np.asarray(mnist_digit_image(mnist_digit(index)[0], scale=6, dark_on_light=False)
                       .resize((160, 160)).filter(ImageFilter.MinFilter(9)), np.float32) / 255
    ink = np.zeros((600, 600), np.float32)
    top, left = (int(v) for v in rng.integers(60, 160, 2))
    ink[top:top + 160, left:left + 160] = digit
    pen = Image.new("L", (600, 600), 0)
    angle = float(rng.uniform(-0.5, 0.5))
    cx, cy = left + 330 + 40 * np.sin(angle), 300.0
    dx, dy = 250 * np.sin(angle), 250 * np.cos(angle)
    ImageDraw.Draw(pen).line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=255, width=36)
    body = np.asarray(pen, np.float32) / 255
    shadow = np.asarray(pen.filter(ImageFilter.GaussianBlur(12)), np.float32) / 255
    page = 240.0 * (1 - 0.25 * np.roll(shadow, 14, axis=0))
    page = page * (1 - ink) + 30.0 * ink
    page = page * (1 - body) + 40.0 * body
    return encode(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), "JPEG", quality=90)
