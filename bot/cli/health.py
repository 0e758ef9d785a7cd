"""`python -m bot health`: is the running bot alive? Cheap enough for a container's HEALTHCHECK.

Webhook mode asks the bot's own `/healthz` on PORT; long polling reads how long ago the poller
last turned (DATA_DIR/heartbeat, bot/runtime/heartbeat.py). One line out, exit 0 when alive."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from bot.config import Settings
from bot.runtime.heartbeat import MAX_AGE_SECONDS, Heartbeat

HEALTH_TIMEOUT_SECONDS = 5.0
# Where to reach a server listening on every address: its loopback of the same family.
_ANY_ADDRESS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 (addresses, not binds)


def check_health(settings: Settings, *, now: float | None = None) -> tuple[bool, str]:
    """(alive, one line saying why) for the bot configured by `settings`."""
    if settings.webhook_url:
        return _check_webhook(settings.webhook_listen, settings.port)
    return _check_heartbeat(Heartbeat(settings.data_dir), now)


def _check_webhook(listen: str, port: int) -> tuple[bool, str]:
    host = _ANY_ADDRESS.get(listen, listen)
    url = f"http://[{host}]:{port}/healthz" if ":" in host else f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_SECONDS) as response:  # noqa: S310 (http only)
            body = json.loads(response.read())
    except (OSError, ValueError) as exc:  # refused, timed out, an HTTP error status, not JSON
        return False, f"webhook server at {url} did not answer: {exc}"
    if body != {"status": "ok"}:
        return False, f"webhook server at {url} answered {body!r}"
    return True, f"webhook server at {url} answered ok"


def _check_heartbeat(heartbeat: Heartbeat, now: float | None) -> tuple[bool, str]:
    age = heartbeat.age(now)
    if age is None:
        return False, f"no heartbeat at {heartbeat.path}: the poller has not started"
    if age > MAX_AGE_SECONDS:
        return False, f"the poller last turned {age:.0f} s ago (more than {MAX_AGE_SECONDS:.0f} s)"
    return True, f"the poller turned {age:.0f} s ago"


def main(settings: Settings) -> int:
    alive, detail = check_health(settings)
    print(("OK   " if alive else "FAIL ") + detail)
    return 0 if alive else 1
