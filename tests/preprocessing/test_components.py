"""Connected-component labelling checked against a breadth-first reference."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from digit_classifier.preprocessing.components import label_components
from digit_classifier.preprocessing.selection import select_digit


def _bfs_count(mask: np.ndarray) -> tuple[np.ndarray, int]:
    h, w = mask.shape
    labels = np.zeros((h, w), int)
    n = 0
    for r in range(h):
        for c in range(w):
            if mask[r, c] and not labels[r, c]:
                n += 1
                labels[r, c] = n
                queue = deque([(r, c)])
                while queue:
                    y, x = queue.popleft()
                    for dy in (-1, 0, 1):
                        for dx in (-1, 0, 1):
                            yy, xx = y + dy, x + dx
                            if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not labels[yy, xx]:
                                labels[yy, xx] = n
                                queue.append((yy, xx))
    return labels, n


@pytest.mark.parametrize("seed,density", [(0, 0.3), (1, 0.45), (2, 0.6), (3, 0.05)])
def test_labels_match_bfs(seed, density):
    mask = np.random.default_rng(seed).random((40, 57)) < density
    labels, n = label_components(mask)
    ref, ref_n = _bfs_count(mask)
    assert n == ref_n
    assert ((labels > 0) == mask).all()
    # same partition: a one-to-one mapping between label ids
    pairs = set(zip(labels[mask].tolist(), ref[mask].tolist()))
    assert len(pairs) == n


def test_spiral_is_one_component():
    mask = np.zeros((41, 41), bool)
    top, left, bottom, right = 0, 0, 40, 40
    while top <= bottom and left <= right:  # a one-pixel spiral: long path
        mask[top, left:right + 1] = True
        mask[top:bottom + 1, right] = True
        mask[bottom, left:right + 1] = True
        mask[top + 2:bottom + 1, left] = True
        top, left, bottom, right = top + 2, left + 2, bottom - 2, right - 2
        if top <= bottom:
            mask[top, left - 2:left] = True
    assert label_components(mask)[1] == _bfs_count(mask)[1]


def test_empty_mask():
    labels, n = label_components(np.zeros((5, 5), bool))
    assert n == 0 and not labels.any()


def test_select_digit_keeps_nearby_parts_and_drops_far_specks():
    mask = np.zeros((100, 100), bool)
    mask[30:70, 40:44] = True      # main stroke
    mask[25:28, 35:55] = True      # detached top bar, close
    mask[2:4, 95:97] = True        # far speck
    labels, n = label_components(mask)
    chosen = select_digit(labels, n, mask.astype(float))
    assert chosen[30:70, 40:44].all() and chosen[25:28, 35:55].all()
    assert not chosen[2:4, 95:97].any()
