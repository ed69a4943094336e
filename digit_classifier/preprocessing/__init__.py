"""Any picture -> (784,) float32 in MNIST form: the preprocessing shared by training and serving.

The public face of the package; the stages live in the modules beside this one, run in
order by ``pipeline``.
"""

from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.loading import ImageError, load_image
from digit_classifier.preprocessing.pipeline import (Trace, candidate_rows, prepare_mnist, preprocess_image,
                                                     preprocess_images, trace_candidates, trace_image)

__all__ = ["ImageError", "PreprocessConfig", "Trace", "candidate_rows", "load_image", "prepare_mnist",
           "preprocess_image", "preprocess_images", "trace_candidates", "trace_image"]
