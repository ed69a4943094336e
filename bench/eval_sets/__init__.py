"""Evaluation-set generators of issue 10, one module per set; ``make.py`` writes them to disk.

Each generator yields ``common.Sample`` (encoded bytes, ext, label, kind) from MNIST test
digits (dev: index < 5000, test: index >= 5000) or fonts (split by design group).
"""
