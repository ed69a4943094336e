"""Read and set the number of threads NumPy's OpenBLAS uses, at run time.

OpenBLAS reads ``OPENBLAS_NUM_THREADS`` only when it is loaded; afterwards the
only control is its C API, reached here through ctypes (what threadpoolctl does,
without the dependency). Why it matters: on a machine busier than its core count
(e.g. several trainings at once, or many web threads predicting together) BLAS
threads wait on each other and one thread can be several times faster. If no
OpenBLAS is found (NumPy built against another BLAS) :func:`set_blas_threads` returns None.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

# Symbol prefixes: NumPy's bundled scipy-openblas (64-bit ints) first, then a system OpenBLAS.
_SYMBOLS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
            ("openblas_set_num_threads", "openblas_get_num_threads"))


def _openblas() -> tuple[object, object] | None:
    """The (set, get) functions of the OpenBLAS loaded into this process, or None."""
    np.dot(np.ones((2, 2)), np.ones((2, 2)))             # make sure the BLAS is loaded
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = sorted({line.split()[-1] for line in maps.splitlines()
                    if "openblas" in line.lower() and line.split()[-1].startswith("/")})
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in _SYMBOLS:
            if hasattr(lib, set_name) and hasattr(lib, get_name):
                return getattr(lib, set_name), getattr(lib, get_name)
    return None


def set_blas_threads(n: int) -> int | None:
    """Make OpenBLAS use ``n`` >= 1 threads per call; return the previous count (None if no OpenBLAS)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"thread count must be an int >= 1; got {n!r}")
    funcs = _openblas()
    if funcs is None:
        return None
    previous = int(funcs[1]())
    funcs[0](ctypes.c_int(n))
    return previous
