"""Set (c) ``fonts``: printed digits 0-9 in 35 font families from Debian's font packages.

Needs these apt packages (``apt-get install --no-install-recommends``): fonts-dejavu-core,
fonts-dejavu-extra, fonts-liberation2, fonts-freefont-ttf, fonts-urw-base35, fonts-texgyre,
fonts-crosextra-carlito, fonts-crosextra-caladea, fonts-lato, fonts-open-sans,
fonts-roboto-unhinted, fonts-cantarell (``PACKAGES``). Font files are found by globbing
``FONT_ROOTS``; every style file of a family is used (regular, bold, italic, light ...).

Handwriting and script fonts are left out on purpose (TeX Gyre Chorus, URW Z003), as are
symbol fonts and Lato Hairline: a set of handwriting fonts is held back for an independent check.

Dev/test split by design group, not only by family, so that metric clones (Liberation
Sans, FreeSans, Nimbus Sans and TeX Gyre Heros all copy Helvetica's digits) never sit on
both sides: ``DEV_GROUPS`` go to dev, the other groups to test.

Each picture: one digit, font size 28-160 px, a 15-100 % margin, rotated up to 8 degrees,
dark (sometimes tinted) ink on light paper, or 15 % light on dark, a little noise, 40 %
JPEG (quality 40-95). Kind = the family name without spaces.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .common import SPLITS, Sample, encode, paint, to_image

PACKAGES = ("fonts-dejavu-core", "fonts-dejavu-extra", "fonts-liberation2", "fonts-freefont-ttf",
            "fonts-urw-base35", "fonts-texgyre", "fonts-crosextra-carlito",
            "fonts-crosextra-caladea", "fonts-lato", "fonts-open-sans", "fonts-roboto-unhinted",
            "fonts-cantarell")
FONT_ROOTS = (Path("/usr/share/fonts"), Path("/usr/share/texmf/fonts/opentype"))
MIN_FAMILIES = 20


class Family(NamedTuple):
    """A font family: ``name``, look-alike design ``group``, Debian ``package``, and a
    regular expression matching its file names."""

    name: str
    group: str
    package: str
    pattern: str


FAMILIES = (
    Family("DejaVuSans", "dejavu-sans", "fonts-dejavu-core", r"DejaVuSans(-\w+)?\.ttf"),
    Family("DejaVuSansCondensed", "dejavu-sans", "fonts-dejavu-extra", r"DejaVuSansCondensed(-\w+)?\.ttf"),
    Family("DejaVuSansMono", "dejavu-mono", "fonts-dejavu-core", r"DejaVuSansMono(-\w+)?\.ttf"),
    Family("DejaVuSerif", "dejavu-serif", "fonts-dejavu-core", r"DejaVuSerif(-\w+)?\.ttf"),
    Family("DejaVuSerifCondensed", "dejavu-serif", "fonts-dejavu-extra", r"DejaVuSerifCondensed(-\w+)?\.ttf"),
    Family("LiberationSans", "helvetica", "fonts-liberation2", r"LiberationSans-\w+\.ttf"),
    Family("LiberationSerif", "times", "fonts-liberation2", r"LiberationSerif-\w+\.ttf"),
    Family("LiberationMono", "courier", "fonts-liberation2", r"LiberationMono-\w+\.ttf"),
    Family("FreeSans", "helvetica", "fonts-freefont-ttf", r"FreeSans\w*\.ttf"),
    Family("FreeSerif", "times", "fonts-freefont-ttf", r"FreeSerif\w*\.ttf"),
    Family("FreeMono", "courier", "fonts-freefont-ttf", r"FreeMono\w*\.ttf"),
    Family("NimbusSans", "helvetica", "fonts-urw-base35", r"NimbusSans-\w+\.otf"),
    Family("NimbusSansNarrow", "helvetica-narrow", "fonts-urw-base35", r"NimbusSansNarrow-\w+\.otf"),
    Family("NimbusRoman", "times", "fonts-urw-base35", r"NimbusRoman-\w+\.otf"),
    Family("NimbusMonoPS", "courier", "fonts-urw-base35", r"NimbusMonoPS-\w+\.otf"),
    Family("C059", "schoolbook", "fonts-urw-base35", r"C059-\w+\.otf"),
    Family("P052", "palatino", "fonts-urw-base35", r"P052-\w+\.otf"),
    Family("URWBookman", "bookman", "fonts-urw-base35", r"URWBookman-\w+\.otf"),
    Family("URWGothic", "avantgarde", "fonts-urw-base35", r"URWGothic-\w+\.otf"),
    Family("TeXGyreAdventor", "avantgarde", "fonts-texgyre", r"texgyreadventor-\w+\.otf"),
    Family("TeXGyreBonum", "bookman", "fonts-texgyre", r"texgyrebonum-\w+\.otf"),
    Family("TeXGyreCursor", "courier", "fonts-texgyre", r"texgyrecursor-\w+\.otf"),
    Family("TeXGyreHeros", "helvetica", "fonts-texgyre", r"texgyreheros-\w+\.otf"),
    Family("TeXGyreHerosCn", "helvetica-narrow", "fonts-texgyre", r"texgyreheroscn-\w+\.otf"),
    Family("TeXGyrePagella", "palatino", "fonts-texgyre", r"texgyrepagella-\w+\.otf"),
    Family("TeXGyreSchola", "schoolbook", "fonts-texgyre", r"texgyreschola-\w+\.otf"),
    Family("TeXGyreTermes", "times", "fonts-texgyre", r"texgyretermes-\w+\.otf"),
    Family("Carlito", "lato", "fonts-crosextra-carlito", r"Carlito-\w+\.ttf"),
    Family("Lato", "lato", "fonts-lato", r"Lato-(?!Hairline)\w+\.ttf"),
    Family("Caladea", "cambria", "fonts-crosextra-caladea", r"Caladea-\w+\.ttf"),
    Family("OpenSans", "open-sans", "fonts-open-sans", r"OpenSans-(?!Cond)\w+\.ttf"),
    Family("OpenSansCondensed", "open-sans", "fonts-open-sans", r"OpenSans-Cond\w+\.ttf"),
    Family("Roboto", "roboto", "fonts-roboto-unhinted", r"Roboto-\w+\.ttf"),
    Family("RobotoCondensed", "roboto", "fonts-roboto-unhinted", r"RobotoCondensed-\w+\.ttf"),
    Family("Cantarell", "cantarell", "fonts-cantarell", r"Cantarell-\w+\.otf"),
)
#: Design groups whose families make the dev split; all others make the test split.
#: Dev: 20 families (sans, Times serifs, Courier monos, narrow/condensed); test: 15 (other
#: serifs, DejaVu Mono, other sans and condensed).
DEV_GROUPS = frozenset({"helvetica", "courier", "times", "avantgarde", "lato", "roboto",
                        "helvetica-narrow"})


def font_files(roots=FONT_ROOTS) -> dict[str, list[Path]]:
    """Family name -> its installed font files (sorted), for the families in ``FAMILIES``
    that have at least one file under ``roots``."""
    files = sorted(p for root in roots if root.is_dir() for ext in ("ttf", "otf")
                   for p in root.rglob(f"*.{ext}"))
    found = {}
    for family in FAMILIES:
        matches = [p for p in files if re.fullmatch(family.pattern, p.name)]
        if matches:
            found[family.name] = matches
    return found


def discover_fonts(split: str, roots=FONT_ROOTS) -> dict[str, list[Path]]:
    """Family name -> font files, for the families of ``split`` ("dev" or "test").
    Raises RuntimeError naming the missing packages if fewer than ``MIN_FAMILIES``
    families are installed in all."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    found = font_files(roots)
    if len(found) < MIN_FAMILIES:
        missing = sorted({f.package for f in FAMILIES if f.name not in found})
        raise RuntimeError(f"only {len(found)} of {len(FAMILIES)} font families installed "
                           f"(need {MIN_FAMILIES}); apt-get install --no-install-recommends "
                           + " ".join(missing))
    dev = split == "dev"
    return {f.name: found[f.name] for f in FAMILIES
            if f.name in found and (f.group in DEV_GROUPS) == dev}


def render_glyph(text: str, font_path: Path, size: int, margin: float, angle: float) -> np.ndarray:
    """``text`` in the font at ``size`` px -> (h, w) float32 ink coverage in [0, 1] with
    ``margin`` x the glyph height of blank around it, rotated by ``angle`` degrees."""
    font = ImageFont.truetype(str(font_path), size)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    pad = max(2, round(margin * (bottom - top)))
    img = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), text, font=font, fill=255)
    img = img.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=0)
    return np.asarray(img, np.float32) / 255.0


def colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(ink, paper) RGB: dark ink (sometimes tinted) on light paper, or 15 % the reverse."""
    ink = rng.uniform(0, 80) + rng.uniform(0, 100) * np.eye(3)[rng.integers(3)] * (rng.random() < 0.3)
    paper = rng.uniform(200, 255) - rng.uniform(0, 25, 3) * (rng.random() < 0.4)
    if rng.random() < 0.15:
        ink, paper = 255 - ink * 0.5, rng.uniform(0, 70, 3)
    return np.clip(ink, 0, 255), np.clip(paper, 0, 255)


def generate(fonts: dict[str, list[Path]], n: int, rng: np.random.Generator) -> Iterator[Sample]:
    """Family -> files (``discover_fonts``) -> n Samples, digits balanced, families in turn."""
    names = sorted(fonts)
    for i, label in enumerate(rng.permutation(np.arange(n) % 10)):
        family = names[i % len(names)]
        path = fonts[family][int(rng.integers(len(fonts[family])))]
        alpha = render_glyph(str(label), path, int(rng.uniform(28, 160)), rng.uniform(0.15, 1.0),
                             rng.uniform(-8, 8))
        ink, paper = colours(rng)
        img = to_image(paint(alpha, ink, paper), noise=rng.uniform(0, 5), rng=rng)
        ext = "jpg" if rng.random() < 0.4 else "png"
        yield Sample(encode(img, ext, quality=int(rng.uniform(40, 95))), ext, int(label), family)
