"""Proxies for the bot's outgoing HTTP sessions come from the environment, read once (bot/runtime/http.py)."""

from __future__ import annotations

import pytest

from bot.runtime.http import env_proxy, new_session


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_no_proxy_configured() -> None:
    assert env_proxy("https://api.telegram.org") is None


def test_the_proxy_for_the_url_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert env_proxy("https://api.telegram.org") == "http://proxy.internal:3128"
    assert env_proxy("http://127.0.0.1:8081/bot") is None


def test_no_proxy_hosts_and_domains_are_bypassed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost, .googleapis.com,api.telegram.org:443")
    assert env_proxy("https://generativelanguage.googleapis.com") is None
    assert env_proxy("https://api.telegram.org") is None
    assert env_proxy("https://example.org") == "http://proxy.internal:3128"
    assert env_proxy("https://notgoogleapis.com") == "http://proxy.internal:3128"


async def test_a_session_is_bounded_and_ignores_per_request_environment_lookups() -> None:
    session = new_session("https://api.telegram.org", limit=3)
    try:
        assert session.connector is not None
        assert session.connector.limit == 3
        assert session.trust_env is False
    finally:
        await session.close()
    with pytest.raises(ValueError, match="at least 1"):
        new_session("https://api.telegram.org", limit=0)
