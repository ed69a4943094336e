"""Shared test support: generated bad inputs and the checks run on their answers."""
