"""The neural-network engine: activations, losses, optimisers, schedules and the MLP."""

from digit_classifier.nn.activations import ACTIVATIONS, ReLU, Tanh, get_activation
from digit_classifier.nn.averaging import ExponentialMovingAverage
from digit_classifier.nn.losses import log_softmax, softmax, softmax_cross_entropy
from digit_classifier.nn.mlp import MLP
from digit_classifier.nn.optimizers import OPTIMIZERS, SGD, Adam, make_optimizer
from digit_classifier.nn.schedules import (SCHEDULES, ConstantSchedule, CosineWithWarmup, StepSchedule,
                                           constant, cosine_with_warmup, make_schedule, step_decay)
from digit_classifier.nn.threads import set_blas_threads

__all__ = [
    "ACTIVATIONS", "ReLU", "Tanh", "get_activation",
    "ExponentialMovingAverage",
    "log_softmax", "softmax", "softmax_cross_entropy",
    "MLP",
    "OPTIMIZERS", "SGD", "Adam", "make_optimizer",
    "SCHEDULES", "ConstantSchedule", "CosineWithWarmup", "StepSchedule",
    "constant", "cosine_with_warmup", "make_schedule", "step_decay",
    "set_blas_threads",
]
