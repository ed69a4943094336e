"""Progress display for the command line: tqdm bars fed by the library's callbacks."""

from __future__ import annotations

import sys

from tqdm import tqdm


class ByteProgress:
    """A ``progress(label, done_bytes, total_bytes)`` callback drawing one bar per label."""

    def __init__(self):
        self._bar: tqdm | None = None
        self._label: str | None = None

    def __call__(self, label: str, done: int, total: int | None) -> None:
        if label != self._label:
            self._close_bar()
            self._label = label
            # disable=None: no bar when stderr is not a terminal (logs, CI), only the summaries.
            self._bar = tqdm(total=total, desc=label, unit="B", unit_scale=True,
                             unit_divisor=1024, file=sys.stderr, leave=True, disable=None)
        if total is not None and self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "ByteProgress":
        return self

    def __exit__(self, *exc) -> None:
        self._close_bar()


class EpochPrinter:
    """Callbacks for ``train``: a batch progress bar per epoch and one summary line per epoch."""

    def __init__(self, epochs: int, enabled: bool = True):
        self.epochs = epochs
        self.enabled = enabled
        self._bar: tqdm | None = None

    def on_batch(self, done: int, total: int) -> None:
        """Advance the bar to ``done`` of ``total`` batches of the current epoch."""
        if not self.enabled:
            return
        if self._bar is None:
            self._bar = tqdm(total=total, unit="batch", leave=False, file=sys.stderr,
                             dynamic_ncols=True, disable=None)
        self._bar.update(done - self._bar.n)

    def on_epoch(self, stats) -> None:
        """Close the epoch's bar and print its figures (stats: an ``EpochStats``)."""
        self._close_bar()
        print(f"epoch {stats.epoch:3d}/{self.epochs}  loss {stats.train_loss:.4f}  "
              f"train acc {100 * stats.train_accuracy:6.2f}%  "
              f"val acc {100 * stats.val_accuracy:6.2f}%  lr {stats.lr:.4g}  "
              f"{stats.seconds:5.1f} s", flush=True)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "EpochPrinter":
        return self

    def __exit__(self, *exc) -> None:
        self._close_bar()
