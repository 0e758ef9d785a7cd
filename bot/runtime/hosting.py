"""Hosting platforms whose filesystem does not survive a restart: recognised from the environment
they set, so the bot refuses to keep DATA_DIR there (it would lose every memory, setting and pending
write at the next deploy) unless DATA_DIR is on a mounted volume or the operator accepts the loss.

Whether DATA_DIR is on a volume is read from /proc/self/mountinfo: the mount that holds it must be
another one than the container's root filesystem, and a filesystem that keeps data (not tmpfs, nor
devtmpfs, proc, sysfs or another overlay). On a platform without volumes (Heroku) DATA_DIR is
refused wherever it is.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.runtime.lock import DataDirError

logger = logging.getLogger(__name__)

MOUNTINFO = Path("/proc/self/mountinfo")
MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
# Filesystems that are never a volume: memory, the kernel's own, a container's layered root.
NOT_VOLUMES = MEMORY_FILESYSTEMS | frozenset(
    {
        "devtmpfs",
        "proc",
        "sysfs",
        "overlay",
        "devpts",
        "mqueue",
        "cgroup",
        "cgroup2",
        "securityfs",
        "debugfs",
        "tracefs",
        "squashfs",
        "nsfs",
        "fuse.lxcfs",
    }
)


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    markers: tuple[str, ...]  # environment variables the platform sets in every container
    fix: str  # how to give the bot a volume there, in one line
    volumes: bool = True  # False: no mount there survives a restart (Heroku)


PLATFORMS = (
    Platform(
        "Heroku", ("DYNO",), "Heroku dynos have no volumes: run the bot where a disk persists", volumes=False
    ),
    Platform(
        "Render", ("RENDER",), "add a Disk to the service (e.g. mount path /var/data), DATA_DIR=/var/data"
    ),
    Platform(
        "Railway",
        ("RAILWAY_PROJECT_ID", "RAILWAY_ENVIRONMENT_ID", "RAILWAY_SERVICE_ID"),
        "attach a Volume to the service (e.g. mount path /data), DATA_DIR=/data",
    ),
    Platform(
        "Fly.io",
        ("FLY_APP_NAME", "FLY_MACHINE_ID"),
        "`fly volumes create data`, [mounts] source='data' destination='/data' in fly.toml, DATA_DIR=/data",
    ),
    Platform(
        "Koyeb",
        ("KOYEB_APP_NAME", "KOYEB_SERVICE_NAME"),
        "attach a Volume to the service, DATA_DIR=<its path>",
    ),
    Platform(
        "Google Cloud Run",
        ("K_SERVICE", "CLOUD_RUN_JOB"),
        "mount a Cloud Storage or NFS volume (--add-volume / --add-volume-mount), DATA_DIR=<mount path>",
    ),
    Platform(
        "Azure Container Apps",
        ("CONTAINER_APP_NAME",),
        "mount an Azure Files volume in the container app, DATA_DIR=<mount path>",
    ),
)


class EphemeralDataDir(DataDirError):
    """DATA_DIR would vanish at the next restart (a platform's ephemeral filesystem)."""


def detect_platform(env: Mapping[str, str]) -> Platform | None:
    """The platform whose marker variables are set, if any."""
    for platform in PLATFORMS:
        if any(env.get(name) for name in platform.markers):
            return platform
    return None


@dataclass(frozen=True, slots=True)
class Mount:
    point: Path
    fstype: str


def mounts(mountinfo: str) -> list[Mount]:
    """Mount points and filesystem types from /proc/self/mountinfo (proc(5)): field 5 is the mount
    point (spaces escaped as octal), and the filesystem type follows the " - " separator."""
    found = []
    for line in mountinfo.splitlines():
        head, sep, tail = line.partition(" - ")
        fields = head.split()
        if not sep or len(fields) < 5 or not tail.split():
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
        found.append(Mount(Path(point), tail.split()[0]))
    return found


def mount_of(path: Path, table: list[Mount]) -> Mount | None:
    """The mount holding `path` (the deepest mount point above it; the last one mounted wins)."""
    best: Mount | None = None
    for mount in table:
        if path.is_relative_to(mount.point) and (
            best is None or len(mount.point.parts) >= len(best.point.parts)
        ):
            best = mount
    return best


def ephemeral_reason(
    data_dir: Path, env: Mapping[str, str] | None = None, mountinfo: str | None = None
) -> str | None:
    """Why DATA_DIR would be lost at the next restart, in one sentence that names the fix; None when
    no known platform is recognised or DATA_DIR is on a mounted volume."""
    platform = detect_platform(os.environ if env is None else env)
    if platform is None:
        return None
    if mountinfo is None:
        try:
            mountinfo = MOUNTINFO.read_text()
        except OSError:
            mountinfo = ""
    where = data_dir.resolve()
    mount = mount_of(where, mounts(mountinfo))
    volume = mount is not None and mount.point != Path("/") and mount.fstype not in NOT_VOLUMES
    if volume and platform.volumes:
        return None
    on = "memory" if mount is not None and mount.fstype in MEMORY_FILESYSTEMS else "the container's own disk"
    return (
        f"DATA_DIR {where} is on {platform.name}'s ephemeral filesystem ({on}, not a mounted volume), "
        "so every memory, setting and pending write would be lost at the next restart or deploy. "
        f"Attach a volume and point DATA_DIR at it ({platform.name}: {platform.fix}), "
        "or set ALLOW_EPHEMERAL_DATA=true to accept the loss."
    )


def refuse_ephemeral_data_dir(data_dir: Path, *, allowed: bool) -> None:
    """Raise EphemeralDataDir (exit code 4) when DATA_DIR would vanish, unless `allowed` (then warn)."""
    reason = ephemeral_reason(data_dir)
    if reason is None:
        return
    if not allowed:
        raise EphemeralDataDir(reason)
    logger.warning("ALLOW_EPHEMERAL_DATA=true: %s", reason)
