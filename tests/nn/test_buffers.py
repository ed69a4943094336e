"""The training-pass buffers: shapes per batch size and the small cache of recent sizes."""

from __future__ import annotations

import numpy as np

from digit_classifier.nn.buffers import BufferCache


def test_buffers_have_the_batch_shapes_and_dropout_only_where_asked():
    cache = BufferCache([12, 16, 8, 4], [0.5, 0.0], 0.0, np.dtype(np.float32), np.dtype(np.bool_))
    buf = cache.get(5)
    assert [h.shape for h in buf.H] == [(5, 16), (5, 8)]
    assert buf.M[0].shape == (5, 16) and buf.M[1] is None
    assert buf.D[1] is buf.H[1] and buf.D[0] is not buf.H[0]      # no dropout: no copy
    assert buf.X0 is None and buf.work[0].dtype == np.bool_


def test_cache_keeps_the_most_recent_batch_sizes():
    cache = BufferCache([4, 3, 2], [0.0], 0.0, np.dtype(np.float32), np.dtype(np.bool_), keep=2)
    first, second = cache.get(1), cache.get(2)
    assert cache.get(1) is first                  # reused, and now the most recent
    cache.get(3)                                  # evicts batch size 2, the least recent
    assert cache.get(1) is first
    assert cache.get(2) is not second
