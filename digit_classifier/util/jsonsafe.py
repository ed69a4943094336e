"""Convert NumPy values inside nested containers to plain JSON types."""

from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """Return ``value`` with arrays as lists, NumPy scalars as Python numbers, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value
