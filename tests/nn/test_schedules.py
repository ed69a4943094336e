"""Learning-rate schedules at the steps that define them."""

from __future__ import annotations

import math

import pytest

from digit_classifier.nn import constant, cosine_with_warmup, make_schedule, step_decay


def test_constant_with_warmup():
    s = constant(0.1, warmup_steps=4)
    assert [s(i) for i in range(6)] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    assert constant(0.3)(10_000) == 0.3


def test_step_decay():
    s = step_decay(1.0, step_size=10, gamma=0.5)
    assert [s(0), s(9), s(10), s(19), s(20), s(35)] == pytest.approx([1, 1, 0.5, 0.5, 0.25, 0.125])


def test_cosine_with_warmup_key_points():
    s = cosine_with_warmup(0.2, total_steps=110, warmup_steps=10, final_lr=0.02)
    assert s(0) == pytest.approx(0.02)             # first warm-up step: base / warmup_steps
    assert s(4) == pytest.approx(0.1)
    assert s(9) == pytest.approx(0.2)              # warm-up ends at the base rate
    assert s(10) == pytest.approx(0.2)             # cosine starts at the base rate
    assert s(60) == pytest.approx(0.11)            # half way: mean of base and final
    assert s(35) == pytest.approx(0.02 + 0.09 * (1 + math.cos(math.pi / 4)))
    assert s(110) == pytest.approx(0.02)
    assert s(500) == pytest.approx(0.02)           # stays at final_lr after the end
    values = [s(i) for i in range(10, 111)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_make_schedule_by_name():
    assert make_schedule("cosine", 0.1, 100)(100) == pytest.approx(0.0)
    assert make_schedule("step", 0.1, 90, gamma=0.1)(30) == pytest.approx(0.01)
    assert make_schedule("constant", 0.1, 100)(99) == pytest.approx(0.1)


@pytest.mark.parametrize("build", [
    lambda: make_schedule("linear", 0.1, 100),
    lambda: cosine_with_warmup(0.1, total_steps=10, warmup_steps=11),
    lambda: cosine_with_warmup(-0.1, total_steps=10),
    lambda: cosine_with_warmup(0.1, total_steps=0),
    lambda: step_decay(0.1, step_size=0),
    lambda: constant(float("nan")),
    lambda: constant(0.1, warmup_steps=1.5),
])
def test_bad_arguments_raise(build):
    with pytest.raises(ValueError):
        build()
