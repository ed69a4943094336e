"""Probability calibration: temperature scaling, expected calibration error, reliability bins.

Temperature scaling (Guo et al. 2017) divides the logits by one scalar T > 0 chosen to
minimise the negative log-likelihood on held-out (validation) data. It never changes
the arg-max, so accuracy is untouched; only the confidence is corrected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_classifier.nn.losses import log_softmax

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def _check_logits_labels(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate (n, k) scores and (n,) integer labels in [0, k); return them as float64 / int64."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2 or logits.shape[0] == 0:
        raise ValueError(f"expected (n, k) scores with n > 0, got shape {logits.shape}")
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"labels shape {labels.shape} does not match scores shape {logits.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"labels must lie in [0, {logits.shape[1]}), got range "
                         f"[{labels.min()}, {labels.max()}]")
    return logits, labels.astype(np.int64)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood (nats) of integer labels under softmax(logits / T)."""
    logits, labels = _check_logits_labels(logits, labels)
    logp = log_softmax(logits, temperature)
    return float(-logp[np.arange(labels.size), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, *, t_min: float = 0.05,
                    t_max: float = 20.0, tol: float = 1e-4) -> float:
    """Temperature T minimising the validation NLL of softmax(logits / T).

    logits -- (n, k) float, labels -- (n,) int. Golden-section search on log T over
    [t_min, t_max] (NLL is unimodal in T); float64 throughout. Returns T > 0.
    """
    logits, labels = _check_logits_labels(logits, labels)
    if not 0 < t_min < t_max:
        raise ValueError(f"need 0 < t_min < t_max, got t_min={t_min}, t_max={t_max}")
    lo, hi = np.log(t_min), np.log(t_max)

    def loss(log_t: float) -> float:
        return nll(logits, labels, float(np.exp(log_t)))

    a, b = hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo)
    fa, fb = loss(a), loss(b)
    while hi - lo > tol:
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - _GOLDEN * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + _GOLDEN * (hi - lo)
            fb = loss(b)
    return float(np.exp((lo + hi) / 2.0))


@dataclass
class ReliabilityBins:
    """Equal-width confidence bins over [0, 1] for a reliability diagram.

    edges (n_bins + 1,), and per bin: count (int), mean confidence, accuracy
    (both NaN for empty bins).
    """

    edges: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray

    def to_dict(self) -> dict:
        """JSON-safe lists (NaN for empty bins becomes None)."""
        def clean(a):
            return [None if not np.isfinite(v) else float(v) for v in a]
        return {"edges": [float(e) for e in self.edges], "count": [int(c) for c in self.count],
                "confidence": clean(self.confidence), "accuracy": clean(self.accuracy)}


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> ReliabilityBins:
    """Bin predictions by their top probability; see ReliabilityBins.

    probs -- (n, k) probabilities (rows sum to 1), labels -- (n,) int.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    probs, labels = _check_logits_labels(probs, labels)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bins are (lo, hi]; a confidence of exactly 0 goes to the first bin.
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(idx, weights=conf, minlength=n_bins) / count
        acc = np.bincount(idx, weights=correct, minlength=n_bins) / count
    return ReliabilityBins(edges=edges, count=count, confidence=mean_conf, accuracy=acc)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """ECE: the count-weighted mean |accuracy - confidence| over equal-width bins, in [0, 1]."""
    bins = reliability_bins(probs, labels, n_bins)
    used = bins.count > 0
    gap = np.abs(bins.accuracy[used] - bins.confidence[used])
    return float((gap * bins.count[used]).sum() / bins.count.sum())
