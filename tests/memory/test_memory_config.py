"""Mem0 configuration: every file under DATA_DIR, and the scale path in one setting each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, SettingsError, load_settings
from bot.memory import mem0_config, prepare_environment
from tests.support.settings import make_settings


def settings(tmp_path: Path, **values: Any) -> Settings:
    return make_settings(tmp_path, **values)


def validated(config: dict[str, object], tmp_path: Path) -> object:
    """Mem0's own pydantic validation of our config, without connecting to anything."""
    prepare_environment(settings(tmp_path))
    from mem0.configs.base import MemoryConfig

    return MemoryConfig(**config)


def test_embedded_default_keeps_every_path_under_data_dir(tmp_path: Path) -> None:
    config = mem0_config(settings(tmp_path))
    assert config["vector_store"]["provider"] == "sqlite"
    assert Path(config["vector_store"]["config"]["path"]).is_relative_to(tmp_path.resolve())
    assert Path(config["history_db_path"]).is_relative_to(tmp_path.resolve())
    qdrant = mem0_config(settings(tmp_path, VECTOR_STORE="qdrant"))["vector_store"]
    assert Path(qdrant["config"]["path"]).is_relative_to(tmp_path.resolve())


def test_postgres_url_selects_pgvector(tmp_path: Path) -> None:
    """VECTOR_STORE_URL=postgresql://… configures Mem0's pgvector store with that connection and
    without the HNSW index (search reads the user's rows through our index: test_pgvector.py)."""
    url = "postgresql://advisor:s3cret@db.internal:5432/memories"
    config = mem0_config(settings(tmp_path, VECTOR_STORE_URL=url))
    assert config["vector_store"] == {
        "provider": "pgvector",
        "config": {
            "collection_name": "memories",
            "embedding_model_dims": 768,
            "connection_string": url,
            "hnsw": False,
            "diskann": False,
        },
    }
    validated(config, tmp_path)


@pytest.mark.parametrize("url", ["https://qd-key@qdrant.example:6334", "http://localhost:6333"])
def test_a_qdrant_server_url_is_refused_with_what_to_use_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """No test runs a Qdrant server, so the bot does not offer one; the message names the options
    and not the URL (it may carry a key)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOOGLE_API_KEY", "k-123456")
    monkeypatch.setenv("VECTOR_STORE_URL", url)
    with pytest.raises(SettingsError, match="VECTOR_STORE_URL is invalid") as info:
        load_settings()
    assert "postgresql://" in str(info.value)
    assert "qd-key" not in str(info.value)


def test_unknown_vector_store_url_is_refused_without_echoing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOOGLE_API_KEY", "k-123456")
    monkeypatch.setenv("VECTOR_STORE_URL", "mysql://root:hunter2@db/x")
    with pytest.raises(SettingsError, match="VECTOR_STORE_URL is invalid") as info:
        load_settings()
    assert "hunter2" not in str(info.value)
