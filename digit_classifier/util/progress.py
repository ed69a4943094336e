"""The progress callback type of long library jobs, and the sink used when the caller gives none."""

from collections.abc import Callable

#: ``progress(label, done, total)``: ``done`` units (bytes, rows) of ``label`` so far, out of
#: ``total`` (None when unknown). Library code calls it; only the CLI draws anything.
ProgressFn = Callable[[str, int, "int | None"], None]


def no_progress(label: str, done: int, total: int | None) -> None:
    """Progress sink used when the caller passes none: does nothing."""
