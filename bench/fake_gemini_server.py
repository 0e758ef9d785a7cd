"""The fake Gemini in a process of its own, for benchmarks: its CPU (parsing megabytes of inline
pictures) then does not compete with the fake Telegram, which times the bot's replies.

    python bench/fake_gemini_server.py --latency 0.5

prints "<base_url> <api_key>" and serves until its stdin is closed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# This folder off the path: bench/secrets.py would stand in for the standard library's `secrets`.
REPO = Path(__file__).resolve().parents[1]
# The repository leads sys.path, not bench/: bench/secrets.py would shadow the standard library's secrets.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

from tests.fakes.gemini_api import FakeGemini  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each chat / JSON answer")
    parser.add_argument("--json-latency", type=float, default=None, help="seconds before each JSON answer")
    parser.add_argument("--embed-latency", type=float, default=0.0, help="seconds before each embedding")
    args = parser.parse_args()
    with FakeGemini() as gemini:
        gemini.latency = args.latency
        gemini.json_latency, gemini.embed_latency = args.json_latency, args.embed_latency
        print(gemini.base_url, gemini.api_key, flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or exits)


if __name__ == "__main__":
    main()
