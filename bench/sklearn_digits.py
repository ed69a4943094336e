"""Write scikit-learn's 8x8 digits as the PNGs people export from similar projects.

Not a set we generate: 1797 digits from 43 writers (UCI "optdigits"), 8x8 cells of 17
grey levels. They come from the scikit-learn wheel, which holds them as
``sklearn/datasets/data/digits.csv.gz`` (no scikit-learn install needed):

    pip download --no-deps scikit-learn -d /tmp/skl
    python bench/sklearn_digits.py --wheel /tmp/skl/scikit_learn-*.whl --out /tmp/skl

writes ``OUT/{native,x4,x32}/NNNN.png`` + ``labels.csv`` for ``--n`` digits (default 600,
seed 0): dark ink on white as matplotlib's ``gray_r`` shows them, at 8x8, and scaled up
4x and 32x with nearest neighbour. Compare with ``bench/compare_pipelines.py --sets
OUT/native OUT/x4 OUT/x32`` (a model trained before issue 10's smaller ``min_side``
refuses the 8x8 ones as ``too_small``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

MEMBER = "sklearn/datasets/data/digits.csv.gz"
SCALES = {"native": 1, "x4": 4, "x32": 32}


def load_digits(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """The wheel's digits -> (images (n, 8, 8) float in 0-16, ink bright; labels (n,) int)."""
    with zipfile.ZipFile(wheel) as archive:
        raw = gzip.decompress(archive.read(MEMBER))
    data = np.loadtxt(io.BytesIO(raw), delimiter=",")
    return data[:, :64].reshape(-1, 8, 8), data[:, 64].astype(int)


def main(argv: list[str] | None = None) -> None:
    """CLI: write the three folders (see the module doc)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    images, labels = load_digits(args.wheel)
    pick = np.random.default_rng(args.seed).choice(len(images), min(args.n, len(images)), replace=False)
    for name, scale in SCALES.items():
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "labels.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["filename", "label", "kind"])
            for i in pick:
                cells = (255 - images[i] * 255 / 16).round().astype(np.uint8)
                img = Image.fromarray(cells).resize((8 * scale, 8 * scale), Image.Resampling.NEAREST)
                img.save(folder / f"{i:04d}.png")
                writer.writerow([f"{i:04d}.png", int(labels[i]), name])
        print(f"{folder}: {len(pick)} images")


if __name__ == "__main__":
    main()
