"""WSGI entry point for mod_wsgi (or any WSGI server): ``application`` is the Flask app."""

import os

# One BLAS thread per serving thread: each request predicts one image, and mod_wsgi already
# runs several processes x threads, so BLAS worker threads would only fight for the cores.
# Must be set before NumPy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from digit_classifier.web import create_app  # noqa: E402

application = create_app()
