"""Write the evaluation sets (a)-(k) of issue 10, each split into dev and test halves.

CLI: ``python bench/eval_sets/make.py --out DIR [--n 1000] [--seed 0] [--sets tight,lowres,...]``
writes ``DIR/<set>/{dev,test}/NNNNN.png|jpg`` and a ``labels.csv`` (filename,label,kind)
in each split folder (the pictures an earlier run left there are removed first). Dev
halves draw MNIST test digits with index < 5000 and the dev font families; test halves
index >= 5000 and the other families, so nothing is shared. Tune on dev only.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Iterator

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]  # bench/ (scripts, not a package), repo

from eval_sets import (brush, edges, fonts, layouts, lowres, objects, outline, pages, rows,  # noqa: E402
                       ruled, tight)
from eval_sets.common import DEFAULT_DATA_DIR, SPLITS, Sample, mnist_split  # noqa: E402

SETS = ("tight", "lowres", "fonts", "outline", "brush", "ruled", "layouts", "edges", "rows", "pages",
        "objects")


def samples(name: str, split: str, n: int, rng: np.random.Generator, data_dir: Path) -> Iterator[Sample]:
    """The ``n`` Samples of set ``name`` for ``split`` (a random draw of that split's digits)."""
    if name == "fonts":
        return fonts.generate(fonts.discover_fonts(split), n, rng)
    images, labels = mnist_split(data_dir, split)
    pick = np.sort(rng.choice(len(images), size=min(n, len(images)), replace=False))
    images, labels = images[pick], labels[pick]
    if name in ("outline", "ruled", "rows"):
        module = {"outline": outline, "ruled": ruled, "rows": rows}[name]
        return module.generate(images, labels, fonts.discover_fonts(split), rng)
    module = {"tight": tight, "lowres": lowres, "brush": brush, "layouts": layouts, "edges": edges,
              "pages": pages, "objects": objects}[name]
    return module.generate(images, labels, rng)


def write_split(folder: Path, items: Iterator[Sample]) -> int:
    """Write Samples as ``NNNNN.<ext>`` files plus ``labels.csv`` into ``folder`` (removing the
    ``NNNNN.*`` files already there); return the count."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("[0-9][0-9][0-9][0-9][0-9].*"):  # an earlier run's pictures
        stale.unlink()
    count = 0
    with open(folder / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "label", "kind"])
        for count, sample in enumerate(items, start=1):
            name = f"{count - 1:05d}.{sample.ext}"
            (folder / name).write_bytes(sample.data)
            writer.writerow([name, sample.label, sample.kind])
    return count


def main(argv: list[str] | None = None) -> None:
    """CLI: write every requested set's dev and test folders under ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=1000, help="images per split of each set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated subset of {','.join(SETS)}")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = sorted(set(names) - set(SETS))
    if unknown:
        parser.error(f"unknown sets {unknown}; choose from {SETS}")
    for name in names:
        for split in SPLITS:
            rng = np.random.default_rng([args.seed, SETS.index(name), SPLITS.index(split)])
            count = write_split(args.out / name / split, samples(name, split, args.n, rng, args.data_dir))
            print(f"{name}/{split}: {count} images", file=sys.stderr)


if __name__ == "__main__":
    main()
