"""Hidden-layer activation functions as small swappable classes.

Each activation works in place on preallocated buffers so the MLP's training
step allocates nothing per batch:

* ``forward(Z)`` overwrites ``Z`` (n, h) with the activation ``A`` and returns it;
* ``backward(dA, A, work)`` overwrites ``dA`` (n, h) with ``dZ = dA * f'(Z)``,
  computing the derivative from the *output* ``A`` (so ``Z`` need not be kept);
  ``work`` is a scratch array of shape (n, h) and dtype ``work_dtype(dtype)``;
* ``init_std(fan_in, fan_out)`` is the standard deviation of the normal weight
  initialisation suited to the activation (He for ReLU, Glorot for tanh).
"""

from __future__ import annotations

import math

import numpy as np


class ReLU:
    """Rectified linear unit ``max(z, 0)``; He initialisation."""

    name = "relu"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Overwrite ``Z`` (n, h) with ``max(Z, 0)`` and return it."""
        return np.maximum(Z, 0, out=Z)

    def backward(self, dA: np.ndarray, A: np.ndarray, work: np.ndarray) -> np.ndarray:
        """Overwrite ``dA`` (n, h) with ``dA * (A > 0)``; ``work`` is a bool (n, h) scratch."""
        np.greater(A, 0, out=work)
        return np.multiply(dA, work, out=dA)

    @staticmethod
    def work_dtype(dtype: np.dtype) -> np.dtype:
        """The dtype of the scratch array ``backward`` needs."""
        return np.dtype(bool)

    @staticmethod
    def init_std(fan_in: int, fan_out: int) -> float:
        """He et al. (2015): ``sqrt(2 / fan_in)``."""
        return math.sqrt(2.0 / fan_in)

    def __repr__(self) -> str:
        return "ReLU()"


class Tanh:
    """Hyperbolic tangent; Glorot (Xavier) initialisation."""

    name = "tanh"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Overwrite ``Z`` (n, h) with ``tanh(Z)`` and return it."""
        return np.tanh(Z, out=Z)

    def backward(self, dA: np.ndarray, A: np.ndarray, work: np.ndarray) -> np.ndarray:
        """Overwrite ``dA`` (n, h) with ``dA * (1 - A**2)``; ``work`` is an (n, h) float scratch."""
        np.multiply(A, A, out=work)
        np.subtract(1, work, out=work)
        return np.multiply(dA, work, out=dA)

    @staticmethod
    def work_dtype(dtype: np.dtype) -> np.dtype:
        """The dtype of the scratch array ``backward`` needs (the model's float dtype)."""
        return np.dtype(dtype)

    @staticmethod
    def init_std(fan_in: int, fan_out: int) -> float:
        """Glorot & Bengio (2010), normal variant: ``sqrt(2 / (fan_in + fan_out))``."""
        return math.sqrt(2.0 / (fan_in + fan_out))

    def __repr__(self) -> str:
        return "Tanh()"


#: Activation classes by the name stored in model files.
ACTIVATIONS = {"relu": ReLU, "tanh": Tanh}


def get_activation(name: str) -> ReLU | Tanh:
    """Return a new activation object for ``name`` ("relu" or "tanh").

    Raises
    ------
    ValueError
        If ``name`` is not a known activation.
    """
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name.lower()]()
