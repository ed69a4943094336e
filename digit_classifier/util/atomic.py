"""Write files atomically: a temporary file in the same directory, then ``os.replace``.

A reader (or a later checksum check) therefore sees either the old file, no file,
or the complete new one, never a partial write left by a crash or an interrupt.
"""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator


@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` only if the block exits normally.

    The temporary file is ``.<name>.<random>.part`` next to ``path`` (mode 0644);
    it is flushed and fsynced before the rename and deleted if the block raises (including
    KeyboardInterrupt); the directory is fsynced after the rename (best effort). Creates
    the parent directory if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        # mkstemp makes the file 0600; data files should be as readable as any other.
        os.chmod(tmp_name, 0o644)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        # Re-raised below; the only job here is to leave no stray temporary file.
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself (best effort: some filesystems refuse directory fsync)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass          # e.g. not supported on this filesystem; the data itself is already synced
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path) as handle:
        handle.write(data)
