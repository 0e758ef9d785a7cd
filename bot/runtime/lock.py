"""One bot process per DATA_DIR, and a DATA_DIR we can actually write to."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_NAME = "bot.lock"


class DataDirError(Exception):
    """DATA_DIR cannot be used (read-only, full, missing permissions); the message says why."""


class InstanceLocked(DataDirError):
    """Another process already runs a bot (or the terminal chat) on this DATA_DIR."""


def check_writable(data_dir: Path) -> None:
    """Create DATA_DIR if needed and prove a small write with fsync works there."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / f".write-check-{os.getpid()}"
        try:
            with probe.open("wb") as file:
                file.write(b"\0" * 4096)
                file.flush()
                os.fsync(file.fileno())
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
    except OSError as exc:
        raise DataDirError(describe_os_error(data_dir, exc)) from exc


def describe_os_error(data_dir: Path, exc: OSError) -> str:
    """A one-line, actionable explanation of why DATA_DIR is unusable."""
    reasons = {
        errno.ENOSPC: "the disk is full; free some space",
        errno.EDQUOT: "the disk quota is exhausted; free some space",
        errno.EROFS: "the file system is read-only; point DATA_DIR at a writable place",
        errno.EACCES: "permission denied; let the bot's user write there or change DATA_DIR",
        errno.EPERM: "permission denied; let the bot's user write there or change DATA_DIR",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return f"DATA_DIR {data_dir} is not usable: {reason}."


class InstanceLock:
    """An exclusive `flock` on DATA_DIR/bot.lock, held while the process runs (released on exit,
    even after `kill -9`, because the kernel drops the lock with the file descriptor)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        try:
            file = self.path.open("a+")
        except OSError as exc:
            raise DataDirError(describe_os_error(self.path.parent, exc)) from exc
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise InstanceLocked(
                    f"another bot process (pid {holder}) is already using DATA_DIR {self.path.parent}. "
                    "Stop it first, or give this one its own DATA_DIR."
                ) from None
            raise DataDirError(describe_os_error(self.path.parent, exc)) from exc
        with contextlib.suppress(OSError):
            file.seek(0)
            file.truncate()
            file.write(str(os.getpid()))
            file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None


def claim_data_dir(data_dir: Path) -> InstanceLock:
    """Check DATA_DIR is writable and take its lock; raise DataDirError with the reason if not."""
    check_writable(data_dir)
    lock = InstanceLock(data_dir)
    lock.acquire()
    return lock
