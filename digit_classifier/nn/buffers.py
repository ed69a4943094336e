"""Preallocated arrays for the MLP's training passes, kept per batch size (a small LRU cache)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

MAX_CACHED_BATCH_SIZES = 3      # e.g. the training batch, the last partial batch, a test batch


class Buffers:
    """Preallocated arrays for one batch size ``n`` of a network with layer ``sizes``.

    H[i]: hidden activation after layer i (n, out_i); D[i]: its dropped-out copy or
    H[i]; M[i]: scaled dropout mask or None; work[i]: activation-backward scratch;
    dA[i]: gradient w.r.t. the hidden activation; X0/M0: input dropout copy and mask.
    """

    def __init__(self, n: int, sizes: list[int], rates: list[float], input_rate: float,
                 dtype: np.dtype, work_dtype: np.dtype):
        hidden = sizes[1:-1]
        self.H = [np.empty((n, h), dtype) for h in hidden]
        self.M = [np.empty((n, h), dtype) if r > 0 else None for h, r in zip(hidden, rates)]
        self.D = [np.empty((n, h), dtype) if r > 0 else H for h, r, H in zip(hidden, rates, self.H)]
        self.work = [np.empty((n, h), work_dtype) for h in hidden]
        self.dA = [np.empty((n, h), dtype) for h in hidden]
        self.X0 = np.empty((n, sizes[0]), dtype) if input_rate > 0 else None
        self.M0 = np.empty((n, sizes[0]), dtype) if input_rate > 0 else None


class BufferCache:
    """The :class:`Buffers` of the few most recently used batch sizes of one network."""

    def __init__(self, sizes: list[int], rates: list[float], input_rate: float,
                 dtype: np.dtype, work_dtype: np.dtype, keep: int = MAX_CACHED_BATCH_SIZES):
        self._spec = (sizes, rates, input_rate, dtype, work_dtype)
        self._keep = keep
        self._cache: OrderedDict[int, Buffers] = OrderedDict()

    def get(self, n: int) -> Buffers:
        """The buffers for batch size ``n``, made (and the oldest size dropped) if needed."""
        buf = self._cache.pop(n, None)
        if buf is None:
            buf = Buffers(n, *self._spec)
            while len(self._cache) >= self._keep:
                self._cache.popitem(last=False)
        self._cache[n] = buf
        return buf
