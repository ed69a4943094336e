"""Default locations of the data directory and the model file.

Every path is absolute and derived from the environment or from this file's
location, never from the current working directory (Apache's cwd is ``/``).
"""

import os
from pathlib import Path

#: The checkout (or install) directory that holds ``digit_classifier/`` and ``data/``.
REPO_ROOT = Path(__file__).resolve().parent.parent

DATA_DIR_ENV = "DIGIT_CLASSIFIER_DATA_DIR"
MODEL_ENV = "DIGIT_CLASSIFIER_MODEL"


def default_data_dir() -> Path:
    """Return ``$DIGIT_CLASSIFIER_DATA_DIR`` if set, else the repository's ``data/``."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser().resolve() if value else REPO_ROOT / "data"


def default_model_path() -> Path:
    """Return ``$DIGIT_CLASSIFIER_MODEL`` if set, else ``<repo>/data/model.pkl``."""
    value = os.environ.get(MODEL_ENV)
    return Path(value).expanduser().resolve() if value else REPO_ROOT / "data" / "model.pkl"
