"""TrainConfig's optimizer names: the vocabulary of nn.make_optimizer, and older model files' names."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from digit_classifier.nn import SGD, Adam
from digit_classifier.training import PROFILES, TrainConfig
from digit_classifier.training.config import upgrade_train_config
from digit_classifier.training.loop import _Run


@pytest.mark.parametrize("profile,kind,nesterov", [("quick", Adam, None), ("default", SGD, True),
                                                   ("best", SGD, True)])
def test_profiles_run_the_optimizer_they_name(profile, kind, nesterov):
    config = dataclasses.replace(PROFILES[profile], hidden=(4,))
    optimizer = _Run(config, np.random.default_rng(0)).optimizer
    assert isinstance(optimizer, kind)
    if nesterov is not None:
        assert optimizer.nesterov is nesterov and config.optimizer == "nesterov"


@pytest.mark.parametrize("name,nesterov", [("sgd", False), ("nesterov", True)])
def test_sgd_is_classic_momentum_and_nesterov_is_its_own_name(name, nesterov):
    optimizer = _Run(TrainConfig(hidden=(4,), optimizer=name), np.random.default_rng(0)).optimizer
    assert isinstance(optimizer, SGD) and optimizer.nesterov is nesterov


@pytest.mark.parametrize("old,name", [({"optimizer": "sgd", "nesterov": True}, "nesterov"),
                                      ({"optimizer": "sgd", "nesterov": False}, "sgd"),
                                      ({"optimizer": "adam", "nesterov": True}, "adam")])
def test_older_train_configs_read_in_todays_names(old, name):
    assert upgrade_train_config(old) == {"optimizer": name}
    assert TrainConfig.from_dict(old).optimizer == name
    assert "nesterov" in old                       # the caller's dict is left alone


def test_an_older_default_profile_dict_is_the_default_profile():
    old = dict(PROFILES["default"].to_dict(), optimizer="sgd", nesterov=True)
    assert TrainConfig.from_dict(old) == PROFILES["default"]
