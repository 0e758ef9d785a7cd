"""Mem0 configuration: every file under DATA_DIR, and the scale path in one setting each."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings
from bot.memory import mem0_config, prepare_environment
from tests.support.settings import make_settings


def settings(tmp_path: Path, **values: object) -> Settings:
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
    """VECTOR_STORE_URL=postgresql://… configures Mem0's pgvector store with that connection."""
    url = "postgresql://advisor:s3cret@db.internal:5432/memories"
    config = mem0_config(settings(tmp_path, VECTOR_STORE_URL=url))
    assert config["vector_store"] == {
        "provider": "pgvector",
        "config": {"collection_name": "memories", "embedding_model_dims": 768, "connection_string": url},
    }
    validated(config, tmp_path)


def test_http_url_selects_a_qdrant_server(tmp_path: Path) -> None:
    """VECTOR_STORE_URL=https://key@host:port configures a Qdrant server, not the local folder."""
    config = mem0_config(settings(tmp_path, VECTOR_STORE_URL="https://qd-key@qdrant.example:6334"))
    store = config["vector_store"]
    assert store["provider"] == "qdrant"
    assert store["config"]["host"] == "qdrant.example"
    assert store["config"]["port"] == 6334
    assert store["config"]["https"] is True
    assert store["config"]["api_key"] == "qd-key"
    validated(config, tmp_path)


def test_unknown_vector_store_url_is_refused_without_echoing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOOGLE_API_KEY", "k-123456")
    monkeypatch.setenv("VECTOR_STORE_URL", "mysql://root:hunter2@db/x")
    with pytest.raises(SettingsError, match="VECTOR_STORE_URL is invalid") as info:
        load_settings()
    assert "hunter2" not in str(info.value)
