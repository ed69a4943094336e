"""Learning-rate schedules: callables mapping an optimiser step (0, 1, ...) to a rate.

Every schedule is a small object with ``__call__(step) -> float`` so the
training loop can ask ``lr = schedule(step)`` without knowing which one it has.
"""

from __future__ import annotations

import math
from typing import Callable

Schedule = Callable[[int], float]


def _check_lr(name: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def _check_steps(name: str, value: int, minimum: int) -> int:
    """Return ``value`` if it is an int >= ``minimum``, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return value


def _warmup_factor(step: int, warmup_steps: int) -> float:
    """Linear warm-up multiplier: (step + 1) / warmup_steps during warm-up, else 1."""
    return (step + 1) / warmup_steps if step < warmup_steps else 1.0


class ConstantSchedule:
    """``lr(step) = base_lr`` (after an optional linear warm-up)."""

    def __init__(self, base_lr: float, warmup_steps: int = 0):
        self.base_lr = _check_lr("base_lr", base_lr)
        self.warmup_steps = _check_steps("warmup_steps", warmup_steps, 0)

    def __call__(self, step: int) -> float:
        return self.base_lr * _warmup_factor(step, self.warmup_steps)

    def __repr__(self) -> str:
        return f"ConstantSchedule(base_lr={self.base_lr}, warmup_steps={self.warmup_steps})"


class StepSchedule:
    """``lr(step) = base_lr * gamma ** (step // step_size)`` (after an optional warm-up)."""

    def __init__(self, base_lr: float, step_size: int, gamma: float = 0.1, warmup_steps: int = 0):
        self.base_lr = _check_lr("base_lr", base_lr)
        self.step_size = _check_steps("step_size", step_size, 1)
        self.gamma = _check_lr("gamma", gamma)
        self.warmup_steps = _check_steps("warmup_steps", warmup_steps, 0)

    def __call__(self, step: int) -> float:
        decay = self.gamma ** (step // self.step_size)
        return self.base_lr * decay * _warmup_factor(step, self.warmup_steps)

    def __repr__(self) -> str:
        return (f"StepSchedule(base_lr={self.base_lr}, step_size={self.step_size}, "
                f"gamma={self.gamma}, warmup_steps={self.warmup_steps})")


class CosineWithWarmup:
    """Linear warm-up to ``base_lr`` over ``warmup_steps``, then cosine decay to ``final_lr``.

    Step ``s < warmup_steps`` gives ``base_lr * (s + 1) / warmup_steps``; from
    ``warmup_steps`` to ``total_steps`` the rate follows half a cosine from
    ``base_lr`` down to ``final_lr``, and stays at ``final_lr`` afterwards.
    """

    def __init__(self, base_lr: float, total_steps: int, warmup_steps: int = 0, final_lr: float = 0.0):
        self.base_lr = _check_lr("base_lr", base_lr)
        self.total_steps = _check_steps("total_steps", total_steps, 1)
        self.warmup_steps = _check_steps("warmup_steps", warmup_steps, 0)
        if self.warmup_steps > self.total_steps:
            raise ValueError(f"warmup_steps ({warmup_steps}) exceeds total_steps ({total_steps})")
        self.final_lr = _check_lr("final_lr", final_lr)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.base_lr * _warmup_factor(step, self.warmup_steps)
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        return self.final_lr + 0.5 * (self.base_lr - self.final_lr) * (1.0 + math.cos(math.pi * progress))

    def __repr__(self) -> str:
        return (f"CosineWithWarmup(base_lr={self.base_lr}, total_steps={self.total_steps}, "
                f"warmup_steps={self.warmup_steps}, final_lr={self.final_lr})")


def constant(base_lr: float, warmup_steps: int = 0) -> ConstantSchedule:
    """A constant learning rate (optionally with linear warm-up)."""
    return ConstantSchedule(base_lr, warmup_steps)


def step_decay(base_lr: float, step_size: int, gamma: float = 0.1, warmup_steps: int = 0) -> StepSchedule:
    """Multiply the rate by ``gamma`` every ``step_size`` steps."""
    return StepSchedule(base_lr, step_size, gamma, warmup_steps)


def cosine_with_warmup(base_lr: float, total_steps: int, warmup_steps: int = 0,
                       final_lr: float = 0.0) -> CosineWithWarmup:
    """Linear warm-up then cosine decay to ``final_lr`` at ``total_steps``."""
    return CosineWithWarmup(base_lr, total_steps, warmup_steps, final_lr)


#: Names accepted by :func:`make_schedule`.
SCHEDULES = ("constant", "step", "cosine")


def make_schedule(name: str, base_lr: float, total_steps: int, *, warmup_steps: int = 0,
                  final_lr: float = 0.0, step_size: int | None = None, gamma: float = 0.1) -> Schedule:
    """Build a schedule by name ("constant", "step" or "cosine").

    For "step", ``step_size`` defaults to a third of ``total_steps``.
    """
    if name == "constant":
        return constant(base_lr, warmup_steps)
    if name == "step":
        size = step_size if step_size is not None else max(1, total_steps // 3)
        return step_decay(base_lr, size, gamma, warmup_steps)
    if name == "cosine":
        return cosine_with_warmup(base_lr, total_steps, warmup_steps, final_lr)
    raise ValueError(f"unknown schedule {name!r}; expected one of {SCHEDULES}")
