"""Run by the Dockerfile's build stage with the image's virtual environment: keep what the bot
uses, drop what it never reads, so the image stays small (docs/docker.md, "Size").

1. Byte-code for exactly the modules the bot imports: pip installed with --no-compile, and this
   imports every module of `bot` and the ones Mem0 and the stores load lazily, so Python writes
   their .pyc files (about half of all; the rest would never be read).
2. Babel's locale data only for the languages the bot has catalogs for (bot/i18n/locale), English
   and the root locale: the bot formats dates and numbers in its interface language only.
3. The packages' own test suites.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

# Loaded on demand (a backend chosen by the settings), so not reached by importing `bot` alone.
LAZY = (
    "mem0.memory.main",
    "mem0.client.main",
    "mem0.embeddings.gemini",
    "mem0.llms.gemini",
    "mem0.vector_stores.qdrant",
    "mem0.vector_stores.pgvector",
    "qdrant_client.local.qdrant_local",
    "psycopg",
    "psycopg_pool",
)


def compile_used_modules() -> int:
    os.environ.setdefault("MEM0_DIR", tempfile.mkdtemp())  # mem0 writes its config.json at import
    os.environ.setdefault("MEM0_TELEMETRY", "false")
    sys.dont_write_bytecode = False
    import bot

    names = [m.name for m in pkgutil.walk_packages(bot.__path__, "bot.") if m.name != "bot.__main__"]
    for name in [*names, *LAZY]:
        importlib.import_module(name)
    return len(names) + len(LAZY)


def prune_babel(site: Path) -> int:
    keep = {"en", *(p.name.split("_")[0] for p in (site / "bot/i18n/locale").iterdir() if p.is_dir())}
    removed = 0
    for data in (site / "babel/locale-data").glob("*.dat"):
        if data.stem != "root" and data.stem.split("_")[0] not in keep:
            data.unlink()
            removed += 1
    return removed


def remove_tests(site: Path) -> int:
    suites = [p for p in site.glob("*/**/tests") if p.is_dir()]
    for suite in suites:
        shutil.rmtree(suite)
    return len(suites)


def main() -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    print(f"compiled the modules {compile_used_modules()} imports reach")
    print(f"removed {prune_babel(site)} of Babel's locales (no catalog of ours)")
    print(f"removed {remove_tests(site)} test suites")


if __name__ == "__main__":
    main()
