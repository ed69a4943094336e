"""Training: the mini-batch loop (with callbacks), validation-based selection and calibration.

The validation split is carved out of the 60000 MNIST *training* images; it chooses
the final weights and fits the softmax temperature. The test set is never touched
here: callers evaluate on it exactly once, after training (see ``pipeline``).
Augmentation + the shared ``prepare_mnist`` step run in a background thread, one
chunk ahead of the matrix products (NumPy releases the GIL in both).
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from digit_classifier.training.augment import augment_batch
from digit_classifier.training.calibration import expected_calibration_error, fit_temperature, nll
from digit_classifier.nn import (MLP, ExponentialMovingAverage, make_optimizer, make_schedule,
                                 set_blas_threads, softmax, softmax_cross_entropy)
from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist
from digit_classifier.training.config import TrainConfig

__all__ = ["EpochStats", "TrainResult", "split_train_val", "train"]

INPUT_DIM = 28 * 28
N_CLASSES = 10
CHUNK_IMAGES = 8192          # images augmented per background job (rounded to whole batches)


@dataclass
class EpochStats:
    """Figures of one finished epoch (accuracies in [0, 1], seconds of wall-clock time)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_accuracy: float
    lr: float
    seconds: float
    val_loss: float = float("nan")
    ema_val_accuracy: float | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class TrainResult:
    """What ``train`` returns.

    model: the selected MLP; temperature: fitted on the validation logits;
    history: one EpochStats per epoch; val_metrics: accuracy, nll/ece before and after
    the temperature, selected epoch ("raw"/"ema" weights); seconds: wall-clock time.
    """

    model: MLP
    temperature: float
    history: list[EpochStats]
    val_metrics: dict
    seconds: float
    n_train: int
    n_val: int


def split_train_val(n: int, val_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random disjoint (train_idx, val_idx) index arrays over range(n), both sorted."""
    if not 0 < val_size < n:
        raise ValueError(f"val_size must be in (0, {n}), got {val_size}")
    order = rng.permutation(n)
    return np.sort(order[val_size:]), np.sort(order[:val_size])


def _chunk_stream(images: np.ndarray, labels: np.ndarray, config: TrainConfig,
                  preprocess: PreprocessConfig, prepared: np.ndarray | None, rng: np.random.Generator,
                  aug_rng: np.random.Generator,
                  pool: ThreadPoolExecutor) -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
    """Endless stream of (X (m, 784) float32, y (m,), last_chunk_of_epoch) over shuffled epochs.

    Each chunk is built in ``pool`` one chunk ahead, across epoch boundaries too: with
    augmentation it is distorted and prepared there; without, rows of ``prepared`` are
    gathered. ``images`` is (n, 28, 28) float32 in [0, 1].
    """
    chunk = max(1, CHUNK_IMAGES // config.batch_size) * config.batch_size

    def job(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if prepared is not None:
            return prepared[idx], labels[idx]
        batch = augment_batch(images[idx], config.augment, aug_rng, labels[idx])
        return prepare_mnist(batch, preprocess), labels[idx]

    def plan() -> Iterator[tuple[np.ndarray, bool]]:
        while True:
            order = rng.permutation(len(labels))
            for start in range(0, len(order), chunk):
                yield order[start:start + chunk], start + chunk >= len(order)

    jobs = plan()
    idx, last = next(jobs)
    pending = pool.submit(job, idx)
    while True:
        X, y = pending.result()
        was_last = last
        idx, last = next(jobs)
        pending = pool.submit(job, idx)
        yield X, y, was_last


def _epoch_batches(stream: Iterator, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The (X, y) mini-batches of one epoch, taken from ``_chunk_stream``."""
    while True:
        X, y, last = next(stream)
        for start in range(0, len(y), batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]
        if last:
            return


def _val_accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(accuracy, mean NLL, logits (n, 10)) of ``model`` on the validation split."""
    logits = model.predict_logits(X)
    return float((logits.argmax(1) == y).mean()), nll(logits, y), logits


class _Selector:
    """Keeps the weights chosen on the validation split (best epoch, or the last one)."""

    def __init__(self, select_best: bool):
        self.select_best = select_best
        self.score = -1.0
        self.params: list[np.ndarray] | None = None
        self.info: dict = {}

    def offer(self, params: list[np.ndarray], accuracy: float, epoch: int, kind: str) -> None:
        """Consider ``params``; later offers win ties (and always win without select_best)."""
        if not self.select_best or accuracy >= self.score:
            self.score = accuracy
            self.params = [p.copy() for p in params]
            self.info = {"selected_epoch": epoch, "selected_weights": kind}


def _plan(config: TrainConfig, steps_per_epoch: int, epochs: int):
    """Learning-rate schedule over ``epochs`` epochs (re-planned when a time budget cuts them)."""
    total = max(1, epochs * steps_per_epoch)
    warmup = min(int(round(config.warmup_epochs * steps_per_epoch)), total - 1)
    return make_schedule(config.schedule, config.lr, total, warmup_steps=warmup,
                         final_lr=config.lr * config.final_lr_fraction,
                         step_size=max(1, total // 3), gamma=0.1)


def train(config: TrainConfig, data, preprocess: PreprocessConfig | None = None, *,
          rng: np.random.Generator | None = None,
          on_epoch: Callable[[EpochStats], None] | None = None,
          on_batch: Callable[[int, int], None] | None = None) -> TrainResult:
    """Train an MLP on ``data`` (an MnistData: uses train_images/train_labels only).

    preprocess -- the shared final step (default: ``config.preprocess_config()``)
    rng        -- source of all randomness (default: ``np.random.default_rng(config.seed)``);
                  the same seed and config give bit-identical weights (without a binding
                  ``time_budget_s``)
    on_epoch(EpochStats) after every epoch; on_batch(done, total) after every step.
    OpenBLAS uses ``config.blas_threads`` threads meanwhile; the previous count is restored.
    """
    previous = set_blas_threads(config.blas_threads) if config.blas_threads else None
    try:
        return _train(config, data, preprocess, rng=rng, on_epoch=on_epoch, on_batch=on_batch)
    finally:
        if previous is not None:
            set_blas_threads(previous)


def _train(config: TrainConfig, data, preprocess: PreprocessConfig | None, *,
           rng: np.random.Generator | None, on_epoch, on_batch) -> TrainResult:
    """``train`` without the BLAS thread setting."""
    started = time.perf_counter()
    preprocess = preprocess or config.preprocess_config()
    rng = rng if rng is not None else np.random.default_rng(config.seed)
    split_rng, init_rng, shuffle_rng, aug_rng = rng.spawn(4)
    run = _Run(config, init_rng)
    tr_images, tr_labels, prepared, X_val, y_val = _split(config, data, preprocess, split_rng)
    steps_per_epoch = -(-len(tr_labels) // config.batch_size)
    epochs = config.epochs
    schedule = _plan(config, steps_per_epoch, epochs)
    selector = _Selector(config.select_best)
    history: list[EpochStats] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        stream = _chunk_stream(tr_images, tr_labels, config, preprocess, prepared, shuffle_rng,
                               aug_rng, pool)
        while len(history) < epochs:
            t0 = time.perf_counter()
            loss, accuracy, lr = run.epoch(_epoch_batches(stream, config.batch_size), schedule,
                                           steps_per_epoch, on_batch)
            val_acc, val_loss, ema_acc = run.validate(X_val, y_val, selector, len(history) + 1)
            history.append(EpochStats(len(history) + 1, loss, accuracy, val_acc, lr,
                                      time.perf_counter() - t0, val_loss, ema_acc))
            if on_epoch is not None:
                on_epoch(history[-1])
            fitted = _fit_budget(config, started, history)
            if fitted != epochs:
                # Re-plan so the schedule ends at the new last epoch (the rate moves a
                # little at once; harmless). It can grow back if the machine speeds up.
                epochs, schedule = fitted, _plan(config, steps_per_epoch, fitted)
    run.model.load_params(selector.params)
    return _finish(run.model, X_val, y_val, history, selector.info, started, len(tr_labels),
                   config.epochs)


def _split(config: TrainConfig, data, preprocess: PreprocessConfig, rng: np.random.Generator):
    """(train images or None, train labels, prepared train X or None, X_val, y_val).

    Augmenting: raw float training images (n, 28, 28) for the background jobs; else the
    training set prepared once (n, 784). Validation is always prepared, never augmented.
    """
    images = np.asarray(data.train_images)
    labels = np.asarray(data.train_labels).astype(np.int64)
    train_idx, val_idx = split_train_val(len(labels), config.val_size, rng)
    X_val = prepare_mnist(images[val_idx], preprocess)
    augmenting = config.augment is not None and not config.augment.is_identity
    tr_images = images[train_idx].astype(np.float32) / np.float32(255.0) if augmenting else None
    prepared = None if augmenting else prepare_mnist(images[train_idx], preprocess)
    return tr_images, labels[train_idx], prepared, X_val, labels[val_idx]


class _Run:
    """The model, optimiser and optional EMA of one training run, and one epoch of steps."""

    def __init__(self, config: TrainConfig, rng: np.random.Generator):
        self.config = config
        self.model = MLP((INPUT_DIM, *config.hidden, N_CLASSES), activation=config.activation,
                         dropout=config.dropout, input_dropout=config.input_dropout, rng=rng)
        self.optimizer = make_optimizer(config.optimizer, self.model.params, momentum=config.momentum,
                                        weight_decay=config.weight_decay)
        self.ema = (ExponentialMovingAverage(self.model.params, config.ema_decay)
                    if config.ema_decay > 0 else None)
        self.step = 0

    def epoch(self, batches, schedule, total: int, on_batch) -> tuple[float, float, float]:
        """Train on every (X, y) batch; return (mean loss, accuracy, last learning rate)."""
        loss_sum = correct = seen = 0.0
        lr = schedule(self.step)
        for b, (X, y) in enumerate(batches, start=1):
            lr = schedule(self.step)
            logits = self.model.forward(X, training=True)
            loss, dlogits = softmax_cross_entropy(logits, y, self.config.label_smoothing)
            self.model.backward(dlogits)
            self.optimizer.step(self.model.grads, lr)
            if self.ema is not None:
                self.ema.update(self.model.params)
            self.step += 1
            loss_sum += loss * len(y)
            correct += float((logits.argmax(1) == y).sum())
            seen += len(y)
            if on_batch is not None:
                on_batch(b, total)
        return loss_sum / seen, correct / seen, float(lr)

    def validate(self, X_val, y_val, selector: _Selector, epoch: int):
        """(val accuracy, val loss, EMA val accuracy or None); offers both weight sets to ``selector``."""
        val_acc, val_loss, _ = _val_accuracy(self.model, X_val, y_val)
        selector.offer(self.model.params, val_acc, epoch, "raw")
        if self.ema is None:
            return val_acc, val_loss, None
        raw = self.model.copy_params()
        self.model.load_params(self.ema.average)
        ema_acc = _val_accuracy(self.model, X_val, y_val)[0]
        selector.offer(self.model.params, ema_acc, epoch, "ema")
        self.model.load_params(raw)
        return val_acc, val_loss, ema_acc


def _fit_budget(config: TrainConfig, started: float, history: list[EpochStats]) -> int:
    """Epochs to run in all: what fits in ``config.time_budget_s``, at most ``config.epochs``,
    never fewer than already done. Judged from the slowest of the last three epochs."""
    if config.time_budget_s is None:
        return config.epochs
    elapsed = time.perf_counter() - started
    per_epoch = max(s.seconds for s in history[-3:])
    # Keep ~8% of the budget for calibration and the final test evaluation.
    remaining = config.time_budget_s * 0.92 - elapsed
    fit = len(history) + max(0, int(remaining // per_epoch))
    return min(config.epochs, fit)


def _finish(model: MLP, X_val: np.ndarray, y_val: np.ndarray, history: list[EpochStats],
            selection: dict, started: float, n_train: int, epochs_planned: int) -> TrainResult:
    """Fit the temperature on the validation logits and package the TrainResult."""
    logits = model.predict_logits(X_val).astype(np.float64)
    temperature = fit_temperature(logits, y_val)
    val = {
        "accuracy": float((logits.argmax(1) == y_val).mean()),
        "nll_before": nll(logits, y_val), "nll_after": nll(logits, y_val, temperature),
        "ece_before": expected_calibration_error(softmax(logits), y_val),
        "ece_after": expected_calibration_error(softmax(logits, temperature), y_val),
        "epochs_run": len(history), "epochs_planned": epochs_planned, **selection,
    }
    return TrainResult(model, temperature, history, val, time.perf_counter() - started,
                       n_train, len(y_val))
