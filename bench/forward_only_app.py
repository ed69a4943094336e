"""The ceiling endpoint for bench/serve.py: our app with image decoding and preprocessing taken out.

``POST /api/v1/predict`` runs as in wsgi.py (the same app, upload parsing, the model's
forward pass, the JSON answer), except that every upload is answered with the prediction
for one fixed input already in MNIST form: the benchmark's sample digit, preprocessed
once at start-up. No decoder or preprocessing, however fast, could lift our endpoint
above this one's throughput: it is what the web layer and the forward pass alone cost.
"""

import os
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as wsgi.py, before NumPy loads

from digit_classifier.predictor import Predictor  # noqa: E402
from digit_classifier.preprocessing import preprocess_image  # noqa: E402
from digit_classifier.web import create_app  # noqa: E402
from digit_classifier.web.model_state import EXTENSION_KEY, ModelState  # noqa: E402

SAMPLE_PNG = Path(__file__).resolve().parent.parent / "deployment_scripts" / "sample_digit_7.png"


class FixedInputPredictor(Predictor):
    """A Predictor that ignores its input and predicts one prepared (784,) row."""

    def __init__(self, base: Predictor, x):
        super().__init__(base.model, base.confidence_threshold, base.checksum)
        self.x = x

    def predict(self, source):
        return self.predict_prepared(self.x)


application = create_app()
_state = application.extensions[EXTENSION_KEY]
if _state.predictor is not None:
    _x = preprocess_image(SAMPLE_PNG.read_bytes(), _state.predictor.preprocess_config)
    application.extensions[EXTENSION_KEY] = ModelState(FixedInputPredictor(_state.predictor, _x))
