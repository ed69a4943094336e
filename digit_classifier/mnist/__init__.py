"""MNIST: IDX read/write, the file table with checksums, fetching (mirrors, PyPI route), loading.

Typical use::

    from digit_classifier.mnist import fetch_mnist, load_mnist
    fetch_mnist(data_dir)           # no network at all if the files are already there and valid
    data = load_mnist(data_dir)     # MnistData, checksums verified
"""

from digit_classifier.mnist.dataset import MissingDataError, MnistData, load_mnist
from digit_classifier.mnist.errors import FetchError, SourceError
from digit_classifier.mnist.fetch import DEFAULT_MIRRORS, fetch_mnist
from digit_classifier.mnist.files import MNIST_FILES, ChecksumError, MnistFile, is_valid_file
from digit_classifier.mnist.idx import decode_idx, encode_idx, read_idx, write_idx
from digit_classifier.mnist.pypi_route import PypiRoute

__all__ = [
    "DEFAULT_MIRRORS", "MNIST_FILES", "ChecksumError", "FetchError", "MissingDataError",
    "MnistData", "MnistFile", "PypiRoute", "SourceError", "decode_idx", "encode_idx",
    "fetch_mnist", "is_valid_file", "load_mnist", "read_idx", "write_idx",
]
