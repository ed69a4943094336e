"""Optimisers that update parameter arrays in place: SGD (momentum, Nesterov) and Adam(W).

Both take the list of parameter arrays at construction and, at each step, the
list of gradients aligned with it (same order and shapes) plus the learning
rate for that step. Weight decay applies only to weight matrices (ndim >= 2),
never to bias vectors. The update is done in place, in the parameters' own
dtype, with preallocated state and scratch arrays: a step allocates nothing.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def _check_params(params: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Return ``params`` as a list of writable float arrays, or raise ValueError."""
    params = list(params)
    if not params:
        raise ValueError("params is empty")
    for i, p in enumerate(params):
        if not isinstance(p, np.ndarray) or p.dtype not in (np.float32, np.float64):
            raise ValueError(f"params[{i}] must be a float32/float64 ndarray; got {type(p).__name__}")
        if not p.flags.writeable:
            raise ValueError(f"params[{i}] is read-only")
    return params


def _check_hyper(name: str, value: float, low: float, high: float, high_open: bool = True) -> float:
    """Return ``value`` as a float within [low, high) (or [low, high]), else raise ValueError."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and low <= value and (value < high if high_open else value <= high)
    if not ok:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}; got {value!r}")
    return float(value)


class Optimizer:
    """Shared bookkeeping: parameter list, step counter, gradient/learning-rate checks."""

    def __init__(self, params: Sequence[np.ndarray], weight_decay: float):
        self.params = _check_params(params)
        self.weight_decay = _check_hyper("weight_decay", weight_decay, 0.0, math.inf)
        self.decays = [p.ndim >= 2 for p in self.params]   # weights decay, biases do not
        self.scratch = [np.empty_like(p) for p in self.params]
        # The L2-decayed gradient needs its own buffer: the updates below reuse ``scratch``.
        self.decayed = [np.empty_like(p) if self.weight_decay and d else None
                        for p, d in zip(self.params, self.decays)]
        self.t = 0

    def _check_step(self, grads: Sequence[np.ndarray], lr: float) -> float:
        """Validate ``grads`` against the params and return ``lr`` as a float."""
        if len(grads) != len(self.params):
            raise ValueError(f"got {len(grads)} gradients for {len(self.params)} parameters")
        for i, (g, p) in enumerate(zip(grads, self.params)):
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape}; params[{i}] has {p.shape}")
        lr = float(lr)
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"learning rate must be a finite number >= 0; got {lr!r}")
        return lr

    def _decayed_grad(self, i: int, g: np.ndarray) -> np.ndarray:
        """Return ``g + weight_decay * p`` (L2 penalty) in a buffer, or ``g`` if no decay applies."""
        s = self.decayed[i]
        if s is None:
            return g
        np.multiply(self.params[i], self.weight_decay, out=s)
        s += g
        return s


class SGD(Optimizer):
    """Mini-batch SGD with (Nesterov) momentum and L2 weight decay, PyTorch's formulation.

    ``g = grad + weight_decay * W``; ``v = momentum * v + g``;
    ``p -= lr * (g + momentum * v)`` with Nesterov, ``p -= lr * v`` without.
    """

    def __init__(self, params: Sequence[np.ndarray], momentum: float = 0.9, nesterov: bool = True,
                 weight_decay: float = 0.0):
        super().__init__(params, weight_decay)
        self.momentum = _check_hyper("momentum", momentum, 0.0, 1.0)
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov momentum needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocity = [np.zeros_like(p) for p in self.params]

    def step(self, grads: Sequence[np.ndarray], lr: float) -> None:
        """Update every parameter in place from ``grads`` (aligned with params) at rate ``lr``."""
        lr = self._check_step(grads, lr)
        mu = self.momentum
        for i, (p, g) in enumerate(zip(self.params, grads)):
            g = self._decayed_grad(i, g)
            s = self.scratch[i]
            if mu == 0.0:
                np.multiply(g, lr, out=s)
            else:
                v = self.velocity[i]
                v *= mu
                v += g
                if self.nesterov:
                    np.multiply(v, mu, out=s)
                    s += g
                    s *= lr
                else:
                    np.multiply(v, lr, out=s)
            p -= s
        self.t += 1

    def __repr__(self) -> str:
        return (f"SGD(momentum={self.momentum}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay})")


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction; AdamW-style decoupled weight decay by default.

    With ``decoupled=True`` weights shrink by ``lr * weight_decay * W`` outside the
    adaptive update (Loshchilov & Hutter, 2019); with ``decoupled=False`` the decay
    is an L2 term added to the gradient.
    """

    def __init__(self, params: Sequence[np.ndarray], betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled: bool = True):
        super().__init__(params, weight_decay)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair; got {betas!r}")
        self.beta1 = _check_hyper("betas[0]", betas[0], 0.0, 1.0)
        self.beta2 = _check_hyper("betas[1]", betas[1], 0.0, 1.0)
        self.eps = _check_hyper("eps", eps, 0.0, math.inf)
        if self.eps == 0.0:
            raise ValueError("eps must be > 0")
        self.decoupled = bool(decoupled)
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]

    def step(self, grads: Sequence[np.ndarray], lr: float) -> None:
        """Update every parameter in place from ``grads`` (aligned with params) at rate ``lr``."""
        lr = self._check_step(grads, lr)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = lr * math.sqrt(1.0 - b2 ** self.t) / (1.0 - b1 ** self.t)
        # eps is scaled so the bias-corrected form sqrt(v_hat) + eps is matched exactly.
        eps_hat = self.eps * math.sqrt(1.0 - b2 ** self.t)
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if self.decoupled:
                if self.weight_decay and self.decays[i]:
                    p *= 1.0 - lr * self.weight_decay
            else:
                g = self._decayed_grad(i, g)
            m, v, s = self.m[i], self.v[i], self.scratch[i]
            m *= b1
            np.multiply(g, 1.0 - b1, out=s)
            m += s
            v *= b2
            np.multiply(g, g, out=s)
            s *= 1.0 - b2
            v += s
            np.sqrt(v, out=s)
            s += eps_hat
            np.divide(m, s, out=s)
            s *= step_size
            p -= s

    def __repr__(self) -> str:
        return (f"Adam(betas=({self.beta1}, {self.beta2}), eps={self.eps}, "
                f"weight_decay={self.weight_decay}, decoupled={self.decoupled})")


#: Names accepted by :func:`make_optimizer`.
OPTIMIZERS = ("sgd", "nesterov", "adam", "adamw")


def make_optimizer(name: str, params: Sequence[np.ndarray], *, momentum: float = 0.9,
                   weight_decay: float = 0.0, betas: tuple[float, float] = (0.9, 0.999),
                   eps: float = 1e-8) -> SGD | Adam:
    """Build an optimiser by name: "sgd" (classic momentum), "nesterov", "adam" (L2) or "adamw"."""
    if name == "sgd":
        return SGD(params, momentum=momentum, nesterov=False, weight_decay=weight_decay)
    if name == "nesterov":
        return SGD(params, momentum=momentum, nesterov=True, weight_decay=weight_decay)
    if name in ("adam", "adamw"):
        return Adam(params, betas=betas, eps=eps, weight_decay=weight_decay, decoupled=name == "adamw")
    raise ValueError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")
