"""Stage: the views of a picture -> their ink maps (best-contrast channel, polarity, background flattened).

Candidates are the luminance and each colour channel; the polarity comes from the
border (``polarity``), the smooth background is removed (``background``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_classifier.preprocessing.background import flatten
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.loading import ImageError
from digit_classifier.preprocessing.picture import Picture
from digit_classifier.preprocessing.polarity import separation, to_ink
from digit_classifier.preprocessing.threshold import ink_extremes

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def ink_map(channels: np.ndarray, auto_channel: bool = True,
            extremes: tuple[float, float] | None = None) -> np.ndarray:
    """Opaque (c, h, w) float channels -> (h, w) float32 ink map (ink bright, bg ~0):
    ``ink_plane`` with its smooth background removed (``background.flatten``)."""
    return flatten(ink_plane(channels, auto_channel, extremes))  # flatten never aliases


def ink_plane(channels: np.ndarray, auto_channel: bool = True,
              extremes: tuple[float, float] | None = None) -> np.ndarray:
    """Opaque (c, h, w) float channels -> (h, w) float32 plane turned ink-bright, background
    not yet removed.

    Candidates are the luminance and, with ``auto_channel``, each colour channel; the
    one whose flattened map (judged on a subsampled copy, for speed) has the clearly
    largest ink/background separation wins, so coloured ink on coloured paper keeps
    its contrast. ``extremes``: ``ink_extremes(plane)`` of a grey (c = 1) image when the
    caller already has them.
    """
    if channels.shape[0] != 3:
        return to_ink(channels[0].astype(np.float32, copy=False), extremes)
    luma = np.tensordot(_LUMA, channels, axes=1)
    best = luma
    step = max(1, max(luma.shape) // 160)
    sub = channels[:, ::step, ::step]
    if auto_channel and not _same_planes(sub) and np.abs(sub - sub.mean(axis=0)).max() > 0.08:
        best_score = separation(flatten(to_ink(luma[::step, ::step])))
        for plane in channels:
            score = separation(flatten(to_ink(plane[::step, ::step])))
            if score > best_score * 1.15:
                best, best_score = plane, score
    return to_ink(best.astype(np.float32, copy=False))


def _same_planes(sub: np.ndarray) -> bool:
    """True when the (3, h, w) planes are identical (grey saved as RGB, black-ink
    canvases). Then each pixel's channel mean is x within 2 float32 roundings, so the
    colour test (a channel 0.08 away from the mean) is false without computing it."""
    return bool((sub[0] == sub[1]).all() and (sub[1] == sub[2]).all())


#: Smallest ink contrast (fraction of full scale) that counts as a drawing.
MIN_CONTRAST = 0.06


def _contrast(channels: np.ndarray, grey: np.ndarray) -> tuple[float, tuple[float, float]]:
    """(ink contrast, grey (dark, bright) extremes): the largest spread between the
    extremes (``ink_extremes``) of the grey image or, only when that is too small, of any
    channel."""
    lo, hi = ink_extremes(grey)
    contrast = hi - lo
    if contrast < MIN_CONTRAST and channels.shape[0] == 3:
        spreads = [np.subtract(*ink_extremes(ch)[::-1]) for ch in channels]
        contrast = max(contrast, float(max(spreads)))
    return contrast, (lo, hi)


def from_picture(picture: Picture, config: PreprocessConfig) -> InkMap:
    """A Picture -> its InkMap. Raises ImageError ``no_ink`` when the picture's contrast
    is under ``MIN_CONTRAST``."""
    contrast, extremes = _contrast(picture.channels, picture.grey)
    if contrast < MIN_CONTRAST:
        raise ImageError("no_ink", f"the image is blank or nearly uniform (contrast "
                                   f"{contrast:.3f} < {MIN_CONTRAST}); draw a digit")
    return InkMap(picture, ink_map(picture.channels, auto_channel=config.auto_channel,
                                   extremes=extremes if picture.channels.shape[0] == 1 else None))


@dataclass(frozen=True)
class InkMap:
    """A view of the picture and its (h, w) float32 ink map ``flat`` (ink bright, background ~0)."""

    view: Picture
    flat: np.ndarray


def from_views(views: list[Picture], config: PreprocessConfig) -> list[InkMap]:
    """Stage: the views (``sheet.views``; the picture as it is comes last) -> their ink maps,
    in the same order, leaving out a preferred view without contrast (a blank sheet).

    Raises ImageError ``no_ink`` when the picture as it is has no contrast."""
    *preferred, whole = views
    last = from_picture(whole, config)
    maps = []
    for view in preferred:
        try:
            maps.append(from_picture(view, config))
        except ImageError:
            pass  # a blank isolated sheet: only the picture as it is
    return maps + [last]
