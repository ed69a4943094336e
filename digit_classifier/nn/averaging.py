"""Weight averaging for evaluation: an exponential moving average (EMA) of the parameters.

It keeps float copies of a parameter list (e.g. ``MLP.params``), updated in place
after optimiser steps; load the average into a model with
``model.load_params(avg.average)``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


class ExponentialMovingAverage:
    """``avg = decay * avg + (1 - decay) * params`` after each :meth:`update`."""

    def __init__(self, params: Sequence[np.ndarray], decay: float = 0.999):
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1); got {decay!r}")
        self.decay = float(decay)
        self.average = [np.array(p, copy=True) for p in params]
        self._scratch = [np.empty_like(a) for a in self.average]   # called every step: no allocation

    def update(self, params: Sequence[np.ndarray]) -> None:
        """Move the average towards ``params`` (aligned with the list given at construction)."""
        if len(params) != len(self.average):
            raise ValueError(f"expected {len(self.average)} arrays; got {len(params)}")
        for a, p, s in zip(self.average, params, self._scratch):
            np.subtract(p, a, out=s)
            s *= 1.0 - self.decay
            a += s

