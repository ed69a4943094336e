"""Turn images into digit predictions with a trained model: the one entry point for CLI and web."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from digit_classifier import model_io
from digit_classifier.util.jsonsafe import json_safe
from digit_classifier.config import DEFAULT_CONFIDENCE_THRESHOLD
from digit_classifier.nn import MLP
from digit_classifier.preprocessing import (ImageError, PreprocessConfig, Trace, candidate_rows,
                                           trace_candidates)
from digit_classifier.preprocessing.crops import STRAY_SHARE

#: A confident answer is also one no other candidate contests: none reads another digit
#: with a top probability of this much or more.
CONTEST = 0.5
#: The margin a candidate must win by when the other one is the likelier reading. Measured
#: on the dev halves (docs/preprocessing.md): 0.2.
MARGIN = 0.2


#: The digit found beside a pen ("beside", ``crops.beside_pen``) wins when the network reads it
#: with at least this calibrated probability; below it, it is out.
BESIDE_MIN = 0.9


def choose_candidate(names: list[str], probabilities: np.ndarray, threshold: float,
                     same_place: bool | None = None, stray_grey: float = 0.0,
                     pen_beside: bool = False) -> tuple[int, bool]:
    """(index of the winning candidate, confident) for the candidates ``names`` (the
    preprocessing's hypotheses) with (k, 10) calibrated ``probabilities``; ``same_place``
    says whether the rules' box and the plain box cover about the same place
    (``Trace.same_place`` of the plain crop, ``crops.SAME_PLACE``; None: not known, no margin),
    ``stray_grey`` the share of the plain crop's ink that is stray grey (``Trace.stray_grey``).

    The winner has the highest top probability, with a handicap of ``MARGIN``: in the
    same place the rules left nothing big out and the plain crop, which keeps every grey
    level, is preferred; when the rules kept much less than the plain box (a table, a
    caption, ruled lines left out), or the plain crop is stained (``STRAY_SHARE`` of its
    ink is stray grey: a shadow the rules' flattened map took out), the rules are
    preferred. The "filled" crop (only for a textured plain crop in the rules' place)
    competes on its probability alone; beside it the rules cannot win alone: when the
    plain and the filled crop both read other digits than the rules, one of them with
    ``CONTEST`` or more, the rules are out (thresholding a dotted or hatched digit fills
    its counters, a "6" read as an "8" at 0.99, while both grey views keep them; two
    grey views that are only guessing, as on a faint thin pen, outvote nothing). The
    answer is confident when its top probability reaches ``threshold`` and no other
    candidate reads another digit with ``CONTEST`` or more. The "beside" crop (the digit
    beside a pen the rules took for it) wins, never confident, when it reads a digit with
    ``BESIDE_MIN`` or more; otherwise the others decide as above. With ``pen_beside``
    (``Trace.pen_beside`` of the rules' crop: the rules read a pen with ink beside it)
    nothing is confident: the winner may be the pen read as a "1".
    """
    if pen_beside:
        return choose_candidate(names, probabilities, threshold, same_place, stray_grey)[0], False
    if "beside" in names:
        beside = names.index("beside")
        if probabilities[beside].max() >= BESIDE_MIN:
            return beside, False   # the pen, read as a "1" by the others, contests it
        rest = [i for i in range(len(names)) if i != beside]
        best, confident = choose_candidate([names[i] for i in rest], probabilities[rest],
                                           threshold, same_place, stray_grey)
        return rest[best], confident
    top = probabilities.max(axis=1)
    # On a tie the plain crop wins: it keeps all the ink, the rules must earn what they leave out.
    handicap = np.array([0.0 if name == "plain" else 1e-6 for name in names])
    if same_place is not None and "rules" in names and "plain" in names:
        rules, plain = names.index("rules"), names.index("plain")
        stained = stray_grey >= STRAY_SHARE
        handicap[rules if same_place and not stained else plain] += MARGIN
    digits = probabilities.argmax(axis=1)
    if "filled" in names and "rules" in names:
        rules = names.index("rules")
        others = np.arange(len(names)) != rules
        if not (digits[others] == digits[rules]).any() and top[others].max() >= CONTEST:
            handicap[rules] = np.inf
    best = int(np.argmax(top - handicap))
    contested = bool(((digits != digits[best]) & (top >= CONTEST)).any())
    return best, bool(top[best] >= threshold and not contested)


@dataclass(frozen=True)
class Prediction:
    """One image's answer.

    ``probabilities`` are the 10 calibrated class probabilities (they sum to 1);
    ``image28`` is the ``(28, 28)`` float32 input in [0, 1] the model saw, and
    ``candidate`` names the preprocessing hypothesis it came from ("rules", "plain", "filled",
    "beside").
    """

    digit: int
    probability: float
    probabilities: list[float]
    confident: bool
    image28: np.ndarray
    candidate: str = "rules"

    def to_json(self) -> dict[str, Any]:
        """The API's JSON object: digit (int), probability (float), probabilities (10 floats),
        confident (bool); everything but the image, as plain Python types."""
        return {
            "digit": int(self.digit),
            "probability": float(self.probability),
            "probabilities": [float(p) for p in self.probabilities],
            "confident": bool(self.confident),
            "candidate": str(self.candidate),
        }


class Predictor:
    """A loaded model plus the preprocessing it was trained with."""

    def __init__(self, model: dict, confidence_threshold: float = DEFAULT_CONFIDENCE_THRESHOLD,
                 checksum: str | None = None):
        if not 0.0 <= confidence_threshold <= 1.0:
            raise ValueError(f"confidence_threshold must be in [0, 1], got {confidence_threshold!r}")
        self.model = model
        self.network = MLP.from_dict(model)
        self.temperature = float(model.get("temperature", 1.0))
        self.preprocess_config = PreprocessConfig.from_dict(model.get("preprocessing") or {})
        self.confidence_threshold = confidence_threshold
        self.checksum = checksum
        _ = self.info  # computed once, now: metadata the pages show fails at load, not per request

    @classmethod
    def from_file(cls, path: str | os.PathLike,
                  confidence_threshold: float = DEFAULT_CONFIDENCE_THRESHOLD) -> "Predictor":
        """Load a model file through the restricted unpickler (raises ``ModelFileError``)."""
        path = Path(path)
        return cls(model_io.load_model(path), confidence_threshold, model_io.file_sha256(path))

    def predict(self, source) -> Prediction:
        """Predict one image (bytes, path, file object or PIL image); raises ``ImageError``.

        Every candidate preprocessing of the image is scored and the winner is chosen by
        ``choose_candidate``."""
        return self.predict_traced(source)[0]

    def predict_traced(self, source) -> tuple[Prediction, Trace]:
        """``predict`` plus the Trace of the winning candidate (for the result page).

        The k (<= 3) candidate rows go through the one-row serving path
        (``MLP.predict_proba_one``): on this machine a 2-row batch through the matrix
        path took 1.6-28 ms against 0.3-0.45 ms for the two rows one by one."""
        traces = trace_candidates(source, self.preprocess_config)
        rows = candidate_rows(traces)
        probabilities = np.stack([self.network.predict_proba_one(x, self.temperature) for x in rows])
        return self._choose(traces, probabilities)

    def predict_prepared(self, x: np.ndarray) -> Prediction:
        """The Prediction for one input ``x`` (784,) float32 already in MNIST form (the
        output of ``preprocess_image``); raises ValueError for another shape or dtype."""
        return self._prediction(x, self.network.predict_proba_one(x, self.temperature))

    def predict_many(self, sources: Iterable) -> list[Prediction | ImageError]:
        """Predict several images, every candidate of every image in one forward pass;
        unreadable ones yield their ``ImageError``."""
        found: list[list[Trace] | ImageError] = []
        for source in sources:
            try:
                found.append(trace_candidates(source, self.preprocess_config))
            except ImageError as error:
                found.append(error)
        groups = [f for f in found if not isinstance(f, ImageError)]
        if not groups:
            return list(found)
        probabilities = self.predict_arrays(np.concatenate([candidate_rows(g) for g in groups]))
        ends = np.cumsum([len(g) for g in groups])
        chosen = iter(self._choose(g, probabilities[end - len(g):end])[0] for g, end in zip(groups, ends))
        return [f if isinstance(f, ImageError) else next(chosen) for f in found]

    def predict_arrays(self, X: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities ``(n, 10)`` for inputs ``(n, 784)`` already in MNIST form."""
        return self.network.predict_proba(np.asarray(X, dtype=np.float32), temperature=self.temperature)

    def _prediction(self, x: np.ndarray, p: np.ndarray, candidate: str = "rules",
                    confident: bool | None = None) -> Prediction:
        """The Prediction for input row ``x`` (784,) with probabilities ``p`` (10,);
        ``confident`` defaults to ``p.max() >= confidence_threshold``."""
        probabilities = p.tolist()  # Python floats (float32 values widened exactly)
        digit = int(np.argmax(p))
        if confident is None:
            confident = bool(p[digit] >= self.confidence_threshold)
        return Prediction(digit=digit, probability=probabilities[digit], probabilities=probabilities,
                          confident=confident, image28=x.reshape(28, 28), candidate=candidate)

    def _choose(self, traces: list[Trace], probabilities: np.ndarray) -> tuple[Prediction, Trace]:
        """The winning candidate's Prediction and Trace, given the candidates' (k, 10)
        calibrated ``probabilities`` (see ``choose_candidate``)."""
        plain = next((t for t in traces if t.candidate == "plain"), None)
        i, confident = choose_candidate([t.candidate for t in traces], probabilities,
                                        self.confidence_threshold,
                                        None if plain is None else plain.same_place,
                                        0.0 if plain is None else plain.stray_grey,
                                        traces[0].pen_beside)
        trace = traces[i]
        return self._prediction(trace.image28, probabilities[i], trace.candidate, confident), trace

    @cached_property
    def info(self) -> dict[str, Any]:
        """JSON-safe metadata: name, version, architecture, training config, metrics, checksum.

        Computed once (the model never changes after loading); callers must not mutate it.
        """
        m = self.model
        metrics = {k: v for k, v in (m.get("metrics") or {}).items() if k != "history"}
        return json_safe({
            "name": m.get("name"),
            "version": m.get("version"),
            "format_version": m.get("format_version"),
            "architecture": {
                "layer_sizes": list(m.get("layer_sizes", [])),
                "activation": m.get("activation"),
            },
            "temperature": self.temperature,
            "confidence_threshold": self.confidence_threshold,
            "preprocessing": m.get("preprocessing"),
            "train_config": m.get("train_config"),
            "metrics": metrics,
            "data_checksums": m.get("data_checksums"),
            "created_at": m.get("created_at"),
            "library_versions": m.get("library_versions"),
            "checksum": self.checksum,
        })

