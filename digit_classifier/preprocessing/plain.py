"""The plain hypothesis: the bounding box of the picture's ink, read from its grey levels as they are.

No background flattening, no thresholded strokes, no components: the grey picture with
its polarity from the border, scaled between its darkest and brightest pixels, the
border's median taken off as the background, and the box of what stays above half the
range. The pixels keep their grey ramp, which is what a blurry scan or a hollow outline
needs; the rules' crop (``crops.digit_crop``) is the other hypothesis.
"""

from __future__ import annotations

import numpy as np

#: Share of the background-to-ink range above which a pixel is in the box.
BOX_LEVEL = 0.5


def ink_levels(grey: np.ndarray) -> np.ndarray | None:
    """(h, w) float grey in [0, 1] -> (h, w) float32 ink in [0, 1] (ink bright, background 0),
    or None when the picture is uniform.

    Polarity: a border ring brighter than the picture's mean is paper, so ink is dark.
    The ring's median is the background (0) and the far end of the range the full ink (1):
    min/max scaling with the background subtracted, in one step."""
    g = np.asarray(grey, np.float32)
    lo, hi = float(g.min()), float(g.max())
    if hi <= lo:
        return None
    ring = np.concatenate((g[0], g[-1], g[1:-1, 0], g[1:-1, -1]))
    # Means as sum / count: what ndarray.mean computes in float32, without its Python overhead.
    dark_ink = float(ring.sum() / ring.size) > float(g.sum() / g.size)
    ring.sort()
    mid = ring.size // 2
    background = float(ring[mid]) if ring.size % 2 else 0.5 * (float(ring[mid - 1]) + float(ring[mid]))
    full = lo if dark_ink else hi
    span = max(abs(full - background), 1e-6 * (hi - lo))
    ink = g - np.float32(background)
    ink *= np.float32((-1.0 if dark_ink else 1.0) / span)
    return np.clip(ink, 0.0, 1.0, out=ink)

