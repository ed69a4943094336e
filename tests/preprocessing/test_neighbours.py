"""A digit cropped out of a number: the neighbours cut by the left or right edge are left out
(``selection._neighbours``); a small crop whose figures fill the frame is ink, not noise."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from digit_classifier.preprocessing import selection
from digit_classifier.preprocessing.components import label_components
from digit_classifier.preprocessing.threshold import NOISE_COHERENCE, coherence
from tests.support import images as f

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from eval_sets.common import encode  # noqa: E402
from eval_sets.rows import written  # noqa: E402


def _row_photos(kind: str, n: int) -> list[bytes]:
    """MNIST test digits 0..n-1, each written between two other test digits and cropped with
    parts of the neighbours (``rows.written``), as JPEG."""
    rng = np.random.default_rng(1)
    photos = []
    for i in range(n):
        others = [f.mnist_digit(20 + 2 * i)[0], f.mnist_digit(21 + 2 * i)[0]]
        img = written([others[0], f.mnist_digit(i)[0], others[1]], kind, rng)
        photos.append(encode(img, "jpg", 90))
    return photos


@pytest.mark.parametrize("kind", ["both", "one"])
def test_a_digit_cut_out_of_a_written_number_is_read_alone(kind, monkeypatch):
    """With the neighbours' parts left out the 28x28 is the digit's (correlation with the
    MNIST original); read with them, as before the rule, it is not. A few are cut with a
    sliver of a neighbour over the digit's own columns, so the median is what is asserted."""
    photos = _row_photos(kind, 12)

    corr = f.mnist_correlations(photos)
    assert np.median(corr) > 0.9, np.round(corr, 2)   # measured: 0.98 for both kinds
    monkeypatch.setattr(selection, "_neighbours", lambda c, shape, digit: np.zeros(c.area.size, bool))
    assert np.median(f.mnist_correlations(photos)) < 0.6             # measured: 0.40 and 0.30


def _chosen(mask: np.ndarray) -> np.ndarray:
    labels, n = label_components(mask)
    return selection.select_digit(labels, n, mask.astype(np.float32))


def _blob(mask: np.ndarray, rows: slice, cols: slice) -> None:
    mask[rows, cols] = True


def test_a_piece_wholly_beside_the_digit_and_cut_by_the_side_is_a_neighbour():
    mask = np.zeros((60, 80), bool)
    _blob(mask, slice(10, 50), slice(30, 45))   # the digit, paper on both sides
    _blob(mask, slice(15, 45), slice(0, 8))     # a neighbour's part, cut by the left edge
    _blob(mask, slice(20, 30), slice(74, 80))   # and one cut by the right edge
    chosen = _chosen(mask)
    assert chosen[10:50, 30:45].all() and not chosen[:, :8].any() and not chosen[:, 74:].any()


def test_a_neighbour_heavier_than_the_digit_does_not_seed_it():
    """The right half of a "0" beside a "1", as thick and as close as the digit's own
    pieces (no object at the edge), outweighs it (mass x height): the inside component
    seeds the digit all the same."""
    mask = np.zeros((60, 80), bool)
    _blob(mask, slice(8, 52), slice(26, 32))    # the "1"
    _blob(mask, slice(5, 11), slice(0, 21))     # the "0"'s half, cut by the left edge:
    _blob(mask, slice(5, 56), slice(15, 21))    # top, side and bottom
    _blob(mask, slice(50, 56), slice(0, 21))
    chosen = _chosen(mask)
    assert chosen[8:52, 26:32].all() and not chosen[:, :21].any()


def test_pieces_sharing_columns_with_the_digit_or_beside_a_digit_at_the_side_are_kept():
    """A piece cut by the edge that shares columns with the main stroke (a "5"'s bar), and
    any piece beside a digit that itself touches a side edge (a tight crop), stay."""
    bar = np.zeros((60, 80), bool)
    _blob(bar, slice(20, 55), slice(10, 30))   # the body
    _blob(bar, slice(5, 12), slice(0, 25))     # the bar, cut by the left edge, over the body
    assert _chosen(bar)[5:12, 0:25].all()
    tight = np.zeros((60, 80), bool)
    _blob(tight, slice(0, 60), slice(55, 80))  # the main stroke touches the right edge
    _blob(tight, slice(20, 40), slice(0, 45))  # a piece beside it cut by the left edge
    assert _chosen(tight)[20:40, 0:45].all()


@pytest.mark.parametrize("size", [33, 40, 56])
def test_strokes_as_wide_as_a_coherence_block_are_not_noise(size):
    """Bold figures filling a 33-63 px house-number crop were refused as noise: averaged
    over 4 px blocks, strokes 4 px wide alternate block by block like pixel noise. The
    blocks now shrink with the picture (``threshold.COHERENCE_BLOCKS``); pixel noise of
    the same size still reads as noise."""
    stripes = np.zeros((size, size), np.float32)
    for left in range(0, size, 8):
        stripes[:, left:left + 4] = 1.0
    assert coherence(stripes) < NOISE_COHERENCE
    noise = np.random.default_rng(size).random((size, size)).astype(np.float32)
    assert coherence(noise) > NOISE_COHERENCE
