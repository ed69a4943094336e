"""The multi-layer perceptron: forward pass, backpropagation, prediction, (de)serialisation.

Layer ``i`` maps ``A_i`` (n, in_i) to ``Z_i = A_i @ W_i + b_i`` (n, out_i) with
``W_i`` (in_i, out_i) and ``b_i`` (out_i,); hidden layers apply the activation
and then (inverted) dropout, the last layer outputs logits. ``params`` is
``[W_0, b_0, W_1, b_1, ...]`` and ``grads`` is aligned with it.

One forward pass (``_layers``) serves training, evaluation and batch prediction: training
passes write into per-batch-size buffers (no allocation per batch apart from the small
logits array); prediction (``predict_*``) passes fresh arrays, so it is safe to call from
several threads at once. A single row is a batch of one, with one exception:
``predict_proba_one``, the web app's path, runs matrix-vector products over the non-zero
inputs of each layer instead, 2x faster at 1 BLAS thread and far more under load
(``bench/forward_speed.py``, figures in bench/results/forward_speed.md).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from digit_classifier.nn.activations import get_activation
from digit_classifier.nn.arguments import check_inputs, check_layer_sizes, check_rate, dropout_rates
from digit_classifier.nn.buffers import BufferCache, Buffers
from digit_classifier.nn.losses import softmax

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class MLP:
    """A fully connected network with one activation for all hidden layers and softmax logits out.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(input_dim, hidden_1, ..., n_classes)``, e.g. ``(784, 1024, 1024, 10)``.
    activation : "relu" or "tanh"
        Hidden activation; weights use He (ReLU) or Glorot (tanh) normal initialisation.
    dropout : float or sequence of float
        Inverted-dropout drop probability for each hidden layer's output (training only).
    input_dropout : float
        Drop probability for input features (training only).
    rng : np.random.Generator
        Source of the initial weights and of every dropout mask.
    dtype : np.float32 (default) or np.float64 (for gradient checks)
    """

    def __init__(self, layer_sizes: Sequence[int], *, activation: str = "relu", dropout=0.0,
                 input_dropout: float = 0.0, rng: np.random.Generator | None,
                 dtype=np.float32, _init: bool = True):
        self.layer_sizes = check_layer_sizes(layer_sizes)
        self.activation = get_activation(activation)
        self.dropout = dropout_rates(dropout, len(self.layer_sizes) - 2)
        self.input_dropout = check_rate("input_dropout", input_dropout)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
        self.rng = rng
        self.dtype = np.dtype(dtype)
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype}")
        if _init and rng is None:
            raise ValueError("rng is required to initialise the weights")
        self.params = self._init_params() if _init else self._zero_params()
        self.grads = [np.zeros_like(p) for p in self.params]
        self._buffers = BufferCache(self.layer_sizes, self.dropout, self.input_dropout, self.dtype,
                                    self.activation.work_dtype(self.dtype))
        self._last = None        # (inputs per layer, buffers) of the last forward pass

    # -- parameters ---------------------------------------------------------------------
    def _init_params(self) -> list[np.ndarray]:
        """Draw ``[W_0, b_0, ...]``: normal weights scaled per layer, zero biases."""
        params = []
        pairs = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        for i, (fan_in, fan_out) in enumerate(pairs):
            last = i == len(pairs) - 1
            # The logits layer feeds softmax, not the activation: Glorot suits it.
            std = (np.sqrt(2.0 / (fan_in + fan_out)) if last
                   else self.activation.init_std(fan_in, fan_out))
            W = self.rng.standard_normal((fan_in, fan_out), dtype=np.float32)
            W *= np.float32(std)
            params += [W.astype(self.dtype, copy=False), np.zeros(fan_out, self.dtype)]
        return params

    def _zero_params(self) -> list[np.ndarray]:
        """``[W_0, b_0, ...]`` filled with zeros (to be overwritten by ``load_params``)."""
        sizes = self.layer_sizes
        params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            params += [np.zeros((fan_in, fan_out), self.dtype), np.zeros(fan_out, self.dtype)]
        return params

    @property
    def weights(self) -> list[np.ndarray]:
        """The weight matrices ``W_i`` (in_i, out_i) (views of ``params``)."""
        return self.params[0::2]

    @property
    def biases(self) -> list[np.ndarray]:
        """The bias vectors ``b_i`` (out_i,) (views of ``params``)."""
        return self.params[1::2]

    def copy_params(self) -> list[np.ndarray]:
        """Return independent copies of ``params`` (e.g. to keep the best or an averaged model)."""
        return [p.copy() for p in self.params]

    def load_params(self, values: Sequence[np.ndarray]) -> None:
        """Copy ``values`` (aligned with ``params``) into the parameters in place.

        In place, so optimisers holding references to ``params`` stay valid.
        """
        values = list(values)
        if len(values) != len(self.params):
            raise ValueError(f"expected {len(self.params)} arrays; got {len(values)}")
        for i, (p, v) in enumerate(zip(self.params, values)):
            v = np.asarray(v)
            if v.shape != p.shape:
                raise ValueError(f"array {i} has shape {v.shape}; expected {p.shape}")
            np.copyto(p, v, casting="same_kind")

    # -- training passes ------------------------------------------------------------------
    def _drop(self, A: np.ndarray, out: np.ndarray, mask: np.ndarray, rate: float) -> np.ndarray:
        """Inverted dropout: ``out = A * mask`` with ``mask`` in {0, 1/(1-rate)}, drawn from self.rng."""
        if self.rng is None:
            raise ValueError("this model has no rng; pass one to use dropout in training")
        self.rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, rate, out=mask)          # bool -> 0.0 / 1.0 in place
        mask *= mask.dtype.type(1.0 / (1.0 - rate))
        return np.multiply(A, mask, out=out)

    def _layers(self, X: np.ndarray, training: bool, buf: Buffers | None
                ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The forward pass of every caller: checked X (n, input_dim) -> (logits (n, n_classes),
        the input of each layer). With ``buf`` the hidden layers are written into it (training,
        ``training=True`` needs it for dropout); without, into fresh arrays (thread-safe)."""
        if training and self.input_dropout > 0:
            X = self._drop(X, buf.X0, buf.M0, self.input_dropout)
        inputs, A = [X], X
        for i in range(len(self.layer_sizes) - 2):
            Z = np.matmul(A, self.params[2 * i], out=None if buf is None else buf.H[i])
            Z += self.params[2 * i + 1]
            A = self.activation.forward(Z)
            if training and self.dropout[i] > 0:
                A = self._drop(A, buf.D[i], buf.M[i], self.dropout[i])
            inputs.append(A)
        logits = A @ self.params[-2]
        logits += self.params[-1]
        return logits, inputs

    def forward(self, X, training: bool = False) -> np.ndarray:
        """Compute logits and remember what ``backward`` needs.

        Parameters
        ----------
        X : array (n, input_dim), floating; cast to the model dtype (float32)
        training : bool
            Apply dropout (inverted, so no rescaling is needed at test time).

        Returns
        -------
        logits : array (n, n_classes), model dtype, a fresh array.
        """
        X = check_inputs(X, self.layer_sizes[0], self.dtype)
        buf = self._buffers.get(X.shape[0])
        logits, inputs = self._layers(X, bool(training), buf)
        self._last = (inputs, buf, bool(training))
        return logits

    def backward(self, dlogits) -> None:
        """Backpropagate ``dlogits`` (n, n_classes) from the last ``forward`` into ``self.grads``.

        ``grads`` is aligned with ``params``: ``dW_i = A_i.T @ dZ_i`` (in_i, out_i) and
        ``db_i = dZ_i.sum(0)`` (out_i,). The input gradient of the first layer is
        never computed. ``dlogits`` is usually the second output of
        :func:`~digit_classifier.nn.softmax_cross_entropy`.
        """
        if self._last is None:
            raise ValueError("backward called before forward")
        inputs, buf, training = self._last
        n = inputs[0].shape[0]
        dZ = np.asarray(dlogits)
        if dZ.shape != (n, self.layer_sizes[-1]):
            raise ValueError(f"dlogits must have shape {(n, self.layer_sizes[-1])}; got {dZ.shape}")
        dZ = np.ascontiguousarray(dZ, dtype=self.dtype)
        for i in range(len(self.layer_sizes) - 2, -1, -1):
            np.matmul(inputs[i].T, dZ, out=self.grads[2 * i])
            np.sum(dZ, axis=0, out=self.grads[2 * i + 1])
            if i == 0:
                break
            dA = np.matmul(dZ, self.params[2 * i].T, out=buf.dA[i - 1])
            if training and self.dropout[i - 1] > 0:
                dA *= buf.M[i - 1]
            dZ = self.activation.backward(dA, buf.H[i - 1], buf.work[i - 1])

    # -- prediction -------------------------------------------------------------------------
    def predict_logits(self, X, batch_size: int = 4096) -> np.ndarray:
        """Logits (n, n_classes) for X (n, input_dim), computed ``batch_size`` rows at a time, no dropout."""
        X = np.asarray(X)
        if X.ndim == 2 and X.shape[0] == 0 and X.shape[1] == self.layer_sizes[0]:
            return np.empty((0, self.layer_sizes[-1]), self.dtype)
        X = check_inputs(X, self.layer_sizes[0], self.dtype)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
        out = np.empty((X.shape[0], self.layer_sizes[-1]), self.dtype)
        for start in range(0, X.shape[0], batch_size):
            out[start:start + batch_size] = self._layers(X[start:start + batch_size], False, None)[0]
        return out

    def _logits_one(self, a: np.ndarray) -> np.ndarray:
        """Logits (n_classes,) of one checked row ``a`` (input_dim,), skipping zero inputs.

        A digit lights ~15% of its 784 pixels and a ReLU layer ~30% of its units, so
        ``a[nz] @ W[nz]`` reads a fraction of the weight rows that ``a @ W`` reads. For one
        row the product is bound by memory traffic, not arithmetic: 2x faster than the batch
        path at 1 BLAS thread (bench/results/forward_speed.md). Same sums, another order:
        equal to the batch path's row up to float rounding.
        """
        for i in range(0, len(self.params) - 2, 2):
            nz = np.flatnonzero(a)
            if nz.size * 4 < a.size * 3:  # gathering rows pays off below ~75% density
                z = a[nz] @ self.params[i][nz]
            else:
                z = a @ self.params[i]
            z += self.params[i + 1]
            a = self.activation.forward(z)
        logits = a @ self.params[-2]
        logits += self.params[-1]
        return logits

    def predict_proba(self, X, temperature: float = 1.0, batch_size: int = 4096) -> np.ndarray:
        """Class probabilities (n, n_classes) = softmax(logits / temperature); rows sum to 1."""
        logits = self.predict_logits(X, batch_size)
        if logits.shape[0] == 0:
            return logits
        return softmax(logits, temperature)

    def predict_proba_one(self, x, temperature: float = 1.0) -> np.ndarray:
        """Class probabilities (n_classes,) for one input row ``x`` (input_dim,).

        The serving path (one image per request): ``_logits_one``, then the shared softmax;
        equal to ``predict_proba(x[None])[0]`` up to float rounding. Thread-safe.
        """
        a = np.asarray(x)
        if a.shape != (self.layer_sizes[0],) or not np.issubdtype(a.dtype, np.floating):
            raise ValueError(f"x must be a float array of shape ({self.layer_sizes[0]},); "
                             f"got {a.dtype} {a.shape}")
        return softmax(self._logits_one(a.astype(self.dtype, copy=False))[None], temperature)[0]

    def predict(self, X, batch_size: int = 4096) -> np.ndarray:
        """Most probable class (n,) int64 for each row of X (n, input_dim)."""
        return self.predict_logits(X, batch_size).argmax(axis=1)

    # -- serialisation ----------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain data: layer_sizes, activation, dropout, input_dropout, weights, biases (float32 copies)."""
        return {
            "layer_sizes": list(self.layer_sizes),
            "activation": self.activation.name,
            "dropout": list(self.dropout),
            "input_dropout": self.input_dropout,
            "weights": [W.astype(np.float32) for W in self.weights],
            "biases": [b.astype(np.float32) for b in self.biases],
        }

    @classmethod
    def from_dict(cls, d: dict, rng: np.random.Generator | None = None, dtype=np.float32) -> "MLP":
        """Rebuild a model from :meth:`to_dict` output (or a full model-file dict; extra keys are ignored).

        ``rng`` is needed only to keep training with dropout. Raises ValueError on
        missing keys or arrays whose shapes do not match ``layer_sizes``.
        """
        missing = [k for k in ("layer_sizes", "weights", "biases") if k not in d]
        if missing:
            raise ValueError(f"model dict lacks keys {missing}")
        sizes = check_layer_sizes(d["layer_sizes"])
        n_hidden = len(sizes) - 2
        dropout = d.get("dropout", 0.0) or [0.0] * n_hidden
        model = cls(sizes, activation=d.get("activation", "relu"), dropout=dropout,
                    input_dropout=d.get("input_dropout", 0.0), rng=rng, dtype=dtype, _init=False)
        weights, biases = list(d["weights"]), list(d["biases"])
        if len(weights) != len(sizes) - 1 or len(biases) != len(sizes) - 1:
            raise ValueError(f"layer_sizes {sizes} needs {len(sizes) - 1} weights and biases; "
                             f"got {len(weights)} and {len(biases)}")
        values = [a for pair in zip(weights, biases) for a in pair]
        model.load_params(values)
        return model

    def __repr__(self) -> str:
        drop = f", dropout={self.dropout}" if any(self.dropout) else ""
        return f"MLP({self.layer_sizes}, activation={self.activation.name!r}{drop})"
