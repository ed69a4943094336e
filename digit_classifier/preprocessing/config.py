"""PreprocessConfig: how images become model input (saved in the model file)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from digit_classifier.preprocessing.loading import MAX_PIXELS, MIN_SIDE

MODES = ("mnist", "center")


@dataclass(frozen=True)
class PreprocessConfig:
    """How images become model input; saved in the model file.

    mode: "mnist" (bbox crop, 20 px fit, centre of mass in 28x28) or "center"
        (central square -> 28x28, polarity-corrected).
    deskew: moment-based deskew in the final step (``prepare_mnist``).
    work_size: longest side (px) of the working copy; bigger images are shrunk first.
    max_pixels: refuse images with more pixels than this (``too_large``).
    min_side: refuse images with a side shorter than this (``too_small``).
    auto_channel: pick the colour channel with the best ink contrast, not just luminance.
    remove_rules: erase ruled lines that run across the whole picture.
    stroke_norm: thicken/thin strokes far outside the MNIST stroke width.
    isolate_sheet: in a photo of a sheet with its surround (a table) in view, paint the
        surround over before looking for ink ("mnist" mode).
    """

    mode: str = "mnist"
    deskew: bool = False
    work_size: int = 512
    max_pixels: int = MAX_PIXELS
    min_side: int = MIN_SIDE
    auto_channel: bool = True
    remove_rules: bool = True
    stroke_norm: bool = True
    isolate_sheet: bool = True

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {self.mode!r}")
        if not 28 <= self.work_size <= 4096:
            raise ValueError(f"work_size must be in [28, 4096]; got {self.work_size!r}")
        if self.min_side < 1 or self.max_pixels < self.min_side ** 2:
            raise ValueError(f"bad size limits: min_side={self.min_side!r}, "
                             f"max_pixels={self.max_pixels!r}")

    def to_dict(self) -> dict:
        """Plain dict of the fields (JSON/pickle safe)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "PreprocessConfig":
        """Inverse of ``to_dict``; missing keys take defaults, unknown keys raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown PreprocessConfig keys: {sorted(unknown)}")
        return cls(**d)
