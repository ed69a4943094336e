"""Training: profiles and TrainConfig, the loop, augmentation, calibration, evaluation,
the report and packaging the model-file dict. The public names are re-exported here."""

from digit_classifier.training.config import PROFILES, TrainConfig, profile_name
from digit_classifier.training.evaluation import evaluate
from digit_classifier.training.loop import EpochStats, TrainResult, split_train_val, train
from digit_classifier.training.packaging import (build_model_dict, library_versions,
                                                 preprocess_config_for, train_and_package)

__all__ = ["PROFILES", "EpochStats", "TrainConfig", "TrainResult", "build_model_dict", "evaluate",
           "library_versions", "preprocess_config_for", "profile_name", "split_train_val", "train",
           "train_and_package"]
