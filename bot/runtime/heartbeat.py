"""A liveness signal for long polling: the poller touches DATA_DIR/heartbeat at every turn of its
loop, and `python -m bot health` (a container's HEALTHCHECK) reads how long ago that was.

A file's modification time is the whole record: touching it costs one `utime` call, needs no
free disk space once the file exists, and a reader in another process needs no lock."""

from __future__ import annotations

import logging
import time
from pathlib import Path

logger = logging.getLogger(__name__)

HEARTBEAT_NAME = "heartbeat"
# The longest quiet between two turns of a healthy poller: a long poll (10 s) and its HTTP
# timeouts, or the longest back-off after failed calls (30 s), with room to spare.
MAX_AGE_SECONDS = 90.0


class Heartbeat:
    """DATA_DIR/heartbeat, touched by the poller and read by the health check."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / HEARTBEAT_NAME
        self._failed = False

    def beat(self) -> None:
        """Record that the poller is turning; a failure is logged once and never raised."""
        try:
            self.path.touch()
        except OSError as exc:
            if not self._failed:
                logger.warning("cannot touch the heartbeat file %s: %s", self.path, exc, exc_info=exc)
            self._failed = True
        else:
            self._failed = False

    def age(self, now: float | None = None) -> float | None:
        """Seconds since the last beat, or None when there has been none."""
        try:
            touched = self.path.stat().st_mtime
        except FileNotFoundError:
            return None
        return max(0.0, (time.time() if now is None else now) - touched)
