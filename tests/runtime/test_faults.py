"""DATA_DIR faults: a second process, a read-only or full disk, a damaged database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime.lock import DataDirError, InstanceLocked, claim_data_dir
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.telegram_api import FakeTelegram
from tests.support.harness import BotProcess, RunningBot, bot_env, make_settings, run_cli

CHAT = 8008
EXIT_DATA_DIR = 4


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    """A small tmpfs mounted at `path` (needs root with CAP_SYS_ADMIN; the test is skipped if not)."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, check=False
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_second_process_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    """The lock is exclusive while held, names the holder, and is free again once released."""
    first = claim_data_dir(tmp_path)
    with pytest.raises(InstanceLocked, match=rf"pid {os.getpid()}.*already using DATA_DIR"):
        claim_data_dir(tmp_path)
    first.release()
    claim_data_dir(tmp_path).release()


@pytest.mark.slow
async def test_second_bot_process_exits_with_a_clear_message(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """`python -m bot` on a DATA_DIR another bot uses exits with code 4 and says why."""
    env = bot_env(fake_telegram, fake_gemini, tmp_path / "data")
    first = BotProcess(env, tmp_path)
    try:
        await fake_telegram.wait_for_call("getUpdates", timeout=30)
        second = run_cli(env, tmp_path)
        assert second.returncode == EXIT_DATA_DIR
        assert "already using DATA_DIR" in second.stdout + second.stderr
        assert first.proc.poll() is None
    finally:
        assert first.stop() == 0


def test_unusable_data_dir_gives_a_clear_error(tmp_path: Path) -> None:
    """A DATA_DIR that cannot be created is reported with the path and the reason."""
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(DataDirError, match="is not usable"):
        claim_data_dir(tmp_path / "file" / "data")


@pytest.mark.slow
def test_read_only_data_dir_exits_once_with_a_clear_message(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """On a read-only file system the bot exits with code 4 and says the file system is read-only."""
    with tmpfs(tmp_path / "ro", "4m", read_only=True) as mount:
        result = run_cli(bot_env(fake_telegram, fake_gemini, mount / "data"), tmp_path)
    assert result.returncode == EXIT_DATA_DIR
    assert "read-only" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_damaged_database_is_refused_at_start(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """A bot.sqlite3 that is not a database stops the start with code 4 and what to do."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "bot.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)
    result = run_cli(bot_env(fake_telegram, fake_gemini, data), tmp_path)
    assert result.returncode == EXIT_DATA_DIR
    assert "damaged" in result.stdout + result.stderr
    assert "restore a backup" in result.stdout + result.stderr


async def test_full_disk_holds_updates_unconfirmed_until_space_returns(
    fake_telegram: FakeTelegram, fake_gemini: FakeGemini, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With DATA_DIR full the bot keeps running and does not confirm what it cannot store; once
    space is back the message is answered, once."""
    caplog.set_level(logging.ERROR, logger="bot.telegram.polling")
    with tmpfs(tmp_path / "small", "24m") as mount:
        bot = await RunningBot(
            make_settings(mount / "data", telegram=fake_telegram, gemini=fake_gemini)
        ).start()
        try:
            fake_telegram.send_text(CHAT, "before the disk fills")
            await fake_telegram.wait_for_messages(CHAT, 1)
            await bot.settle()
            filler = mount / "filler"
            with contextlib.suppress(OSError), filler.open("wb", buffering=0) as file:
                while True:
                    file.write(b"\0" * 65536)
            update_id = fake_telegram.send_text(CHAT, "while the disk is full")
            for _ in range(500):  # until the poller has failed to store it twice (fetched it again)
                if caplog.text.count("cannot store incoming updates") >= 2:
                    break
                await asyncio.sleep(0.02)
            assert caplog.text.count("cannot store incoming updates") >= 2
            assert fake_telegram.confirmed_offset <= update_id  # nothing confirmed meanwhile
            assert len(fake_telegram.sent(CHAT)) == 1

            filler.unlink()
            messages = await fake_telegram.wait_for_messages(CHAT, 2, timeout=30)
            assert "while the disk is full" in messages[1]["text"]
        finally:
            await bot.stop()
            shutil.rmtree(mount / "data", ignore_errors=True)
    assert len(fake_telegram.sent(CHAT)) == 2
