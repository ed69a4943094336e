"""Run-time control of OpenBLAS threads (NumPy wheels bundle OpenBLAS)."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.nn import set_blas_threads


def test_set_and_restore_blas_threads():
    before = set_blas_threads(1)
    assert before is not None and before >= 1          # the project's NumPy wheel ships OpenBLAS
    try:
        assert set_blas_threads(1) == 1                   # the count set above is the one in force
        a = np.arange(64 * 64, dtype=np.float32).reshape(64, 64) / 4096
        np.testing.assert_allclose(a @ a, (a.astype(np.float64) @ a).astype(np.float32), rtol=1e-5)
    finally:
        assert set_blas_threads(before) == 1
    assert set_blas_threads(before) == before


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts(n):
    with pytest.raises(ValueError, match="thread count"):
        set_blas_threads(n)
