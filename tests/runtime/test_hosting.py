"""Ephemeral hosts: on a platform that wipes its disk, DATA_DIR must be on a mounted volume."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.check import run_checks
from bot.runtime.hosting import (
    PLATFORMS,
    Mount,
    Platform,
    detect_platform,
    ephemeral_reason,
    mount_of,
    mounts,
)
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import bot_env, make_settings, run_cli

# A container: overlay root, a volume on /data, tmpfs on /dev/shm and /tmp, a path with a space.
MOUNTINFO = """\
612 540 0:180 / / rw,relatime master:300 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
613 612 0:183 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
616 612 0:185 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
617 612 0:186 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw
620 612 254:16 / /data rw,relatime - ext4 /dev/vdb rw
621 612 254:17 / /srv/my\\040volume rw,relatime - ext4 /dev/vdc rw
622 612 254:0 /docker/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw
"""


def test_mountinfo_is_parsed_with_escaped_spaces_and_the_deepest_mount_wins() -> None:
    table = mounts(MOUNTINFO)
    assert [m.point for m in table][-2] == Path("/srv/my volume")
    assert mount_of(Path("/data/bot/memories.sqlite3"), table) == Mount(Path("/data"), "ext4")
    assert mount_of(Path("/app/data"), table) == Mount(Path("/"), "overlay")
    assert mount_of(Path("/tmp/x"), table) == Mount(Path("/tmp"), "tmpfs")


@pytest.mark.parametrize(
    ("env", "platform"),
    [
        ({"DYNO": "worker.1"}, "Heroku"),
        ({"RENDER": "true", "RENDER_SERVICE_ID": "srv-1"}, "Render"),
        ({"RAILWAY_PROJECT_ID": "p"}, "Railway"),
        ({"FLY_APP_NAME": "advisor", "FLY_MACHINE_ID": "1"}, "Fly.io"),
        ({"KOYEB_APP_NAME": "advisor"}, "Koyeb"),
        ({"K_SERVICE": "advisor", "K_REVISION": "advisor-001"}, "Google Cloud Run"),
        ({"CLOUD_RUN_JOB": "advisor"}, "Google Cloud Run"),
        ({"CONTAINER_APP_NAME": "advisor"}, "Azure Container Apps"),
        ({"HOME": "/root", "RENDER": ""}, None),
    ],
)
def test_platforms_are_recognised_by_the_variables_they_set(
    env: dict[str, str], platform: str | None
) -> None:
    found = detect_platform(env)
    assert (found.name if found else None) == platform


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.name)
def test_on_every_platform_the_container_disk_is_refused_and_a_volume_accepted(platform: Platform) -> None:
    """DATA_DIR on the root filesystem or tmpfs is refused with a sentence naming the platform's
    fix; on a mounted volume it is accepted."""
    env = {platform.markers[0]: "x"}
    for data_dir in (Path("/app/data"), Path("/tmp/data"), Path("/dev/shm/data")):
        reason = ephemeral_reason(data_dir, env, MOUNTINFO)
        assert reason is not None
        assert f"DATA_DIR {data_dir} is on {platform.name}'s ephemeral filesystem" in reason
        assert platform.fix in reason
        assert "ALLOW_EPHEMERAL_DATA=true" in reason
    on_volume = [ephemeral_reason(Path(p), env, MOUNTINFO) for p in ("/data", "/srv/my volume/bot")]
    assert on_volume == [None, None] if platform.volumes else None not in on_volume


def test_without_a_platform_nothing_is_refused() -> None:
    """A plain server or a laptop: DATA_DIR on the root disk is its normal place."""
    assert ephemeral_reason(Path("/app/data"), {"HOME": "/root"}, MOUNTINFO) is None


@pytest.fixture
def memory_dir() -> Iterator[Path]:
    """A DATA_DIR on tmpfs (/dev/shm is a memory filesystem on every Linux), removed afterwards."""
    path = Path("/dev/shm") / f"advisor-test-{uuid.uuid4().hex}"
    yield path / "data"
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_the_bot_refuses_to_start_on_an_ephemeral_data_dir(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path, memory_dir: Path
) -> None:
    """`python -m bot` on "Heroku" with DATA_DIR in memory: exit code 4 and the fix, nothing written;
    with ALLOW_EPHEMERAL_DATA=true the check passes and the bot gets past it (here: to a
    rejected token, exit 3)."""
    env = bot_env(fake_telegram, fake_gemini, memory_dir, DYNO="worker.1")
    result = run_cli(env, tmp_path)
    assert result.returncode == 4, result.stderr
    output = result.stdout + result.stderr
    assert "Heroku's ephemeral filesystem" in output
    assert "Attach a volume and point DATA_DIR at it" in output
    assert not memory_dir.exists()

    fake_telegram.reject_token = True
    allowed = run_cli({**env, "ALLOW_EPHEMERAL_DATA": "true"}, tmp_path)
    assert allowed.returncode == 3, allowed.stderr
    assert "ALLOW_EPHEMERAL_DATA=true" in allowed.stdout + allowed.stderr


async def test_check_reports_the_ephemeral_data_dir(
    fake_telegram: FakeTelegram,
    fake_gemini: FakeGemini,
    memory_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`python -m bot check` fails the volume check with the same sentence, and passes it when the
    operator accepts the loss."""
    monkeypatch.setenv("FLY_APP_NAME", "advisor")
    settings = make_settings(memory_dir, telegram=fake_telegram, gemini=fake_gemini)
    volume = next(c for c in await run_checks(settings) if c.name == "DATA_DIR volume")
    assert not volume.ok
    assert volume.detail == ephemeral_reason(memory_dir, os.environ)
    accepted = make_settings(
        memory_dir, telegram=fake_telegram, gemini=fake_gemini, ALLOW_EPHEMERAL_DATA=True
    )
    volume = next(c for c in await run_checks(accepted) if c.name == "DATA_DIR volume")
    assert volume.ok
    assert "ALLOW_EPHEMERAL_DATA=true accepts the loss" in volume.detail


def test_heroku_is_refused_even_on_a_separate_mount_and_kernel_mounts_are_never_a_volume() -> None:
    """Heroku has no volumes: any mount there is the dyno's own. devtmpfs, proc and overlay mounts
    are no volume on any platform."""
    table = MOUNTINFO + (
        "630 612 0:5 / /dev rw,nosuid - devtmpfs udev rw\n"
        "631 612 0:190 / /srv/layer rw - overlay overlay rw\n"
        "632 612 0:191 / /srv/proc rw - proc proc rw\n"
    )
    heroku = {"DYNO": "worker.1"}
    for data_dir in (Path("/data"), Path("/dev/data"), Path("/srv/layer/data")):
        assert ephemeral_reason(data_dir, heroku, table) is not None
    render = {"RENDER": "true"}
    for data_dir in (Path("/dev/data"), Path("/srv/layer/data"), Path("/srv/proc/data")):
        assert ephemeral_reason(data_dir, render, table) is not None
    assert ephemeral_reason(Path("/data"), render, table) is None
