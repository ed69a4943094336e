"""digit_classifier: handwritten-digit recognition with a hand-written NumPy MLP."""

__version__ = "1.0.0"
