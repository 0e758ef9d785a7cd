"""A real PostgreSQL with pgvector for the tests (the PyPI package `pgserver`), and a reader of its
table files: which tuples (live or dead) still hold a text after a delete, without pageinspect
(pgserver ships no contrib extensions)."""

from __future__ import annotations

import shutil
import struct
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PAGE = 8192  # PostgreSQL's default block size; `start_server` checks it
LP_NORMAL = 1  # a line pointer with storage: a live tuple, or a dead one not yet vacuumed


@dataclass
class Postgres:
    """One running server: `url(db)` connects to a database of it, `pgdata` is its data folder."""

    server: Any
    pgdata: Path

    def url(self, database: str = "postgres") -> str:
        return str(self.server.get_uri(database))

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database for one test (its URL), dropped afterwards even if connections remain."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        try:
            yield self.url(name)
        finally:
            with psycopg.connect(self.url(), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """Start a private PostgreSQL (pgserver) in a temporary folder; stop it and delete the folder.

    As root, pgserver runs PostgreSQL (which refuses root) as a system user `pgserver` that it
    creates with useradd, and opens the folders above the data folder and its binaries to others
    (g+rx, o+rx). The data folder is a new folder under the system temp dir, so nothing else's
    permissions change. A server that cannot start fails the tests that need it, saying why.
    """
    try:
        import pgserver
        import psycopg
    except ImportError as exc:
        pytest.fail(
            f"PostgreSQL tests need the dev extra ({exc.name} is missing): pip install -e '.[dev]'",
            pytrace=False,
        )
    pgdata = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no server log)"
        shutil.rmtree(pgdata, ignore_errors=True)
        pytest.fail(f"PostgreSQL (pgserver) did not start: {exc!r}\n{tail}", pytrace=False)
    postgres = Postgres(server, pgdata)
    try:
        with psycopg.connect(postgres.url(), autocommit=True) as conn:
            row = conn.execute("SHOW block_size").fetchone()
            assert row is not None
            assert int(row[0]) == PAGE, f"block size {row[0]}: page_items reads 8 KiB pages"
        yield postgres
    finally:
        server.cleanup()


def relation_files(conn: Any, pgdata: Path, table: str) -> dict[str, list[Path]]:
    """The files of `table`, its TOAST table and TOAST index, and its indexes (after a CHECKPOINT,
    so what the server holds in memory is on disk)."""
    conn.execute("CHECKPOINT")
    rows = conn.execute(
        """
        SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c
        WHERE c.oid = %(t)s::regclass
           OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = %(t)s::regclass)
           OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = %(t)s::regclass
                        OR indrelid = (SELECT reltoastrelid FROM pg_class WHERE oid = %(t)s::regclass))
        """,
        {"t": table},
    ).fetchall()
    files: dict[str, list[Path]] = {}
    for name, relpath in rows:
        base = pgdata / relpath
        # segments (base, base.1, …); the free space and visibility maps hold no tuple data
        files[name] = sorted(
            p for p in base.parent.glob(base.name + "*") if not p.name.endswith(("_fsm", "_vm"))
        )
    return files


def page_items(data: bytes) -> Iterator[bytes]:
    """The bytes of every item with storage (LP_NORMAL: live or dead tuples) in a relation file.

    Page layout (storage/bufpage.h): pd_lower at byte 12, then 4-byte line pointers from byte 24:
    lp_off (15 bits), lp_flags (2), lp_len (15). A vacuumed tuple's pointer is LP_UNUSED; its old
    bytes may stay in the page's free space, which is not a tuple and is not read here.
    """
    for start in range(0, len(data) - PAGE + 1, PAGE):
        page = data[start : start + PAGE]
        (lower,) = struct.unpack_from("<H", page, 12)
        if lower < 24:
            continue  # a new (all-zero) page
        for offset in range(24, min(lower, PAGE), 4):
            (word,) = struct.unpack_from("<I", page, offset)
            lp_off, lp_flags, lp_len = word & 0x7FFF, (word >> 15) & 0x3, (word >> 17) & 0x7FFF
            if lp_flags == LP_NORMAL and lp_len and lp_off + lp_len <= PAGE:
                yield page[lp_off : lp_off + lp_len]


def where_found(files: dict[str, list[Path]], needle: str) -> dict[str, str]:
    """For each relation whose files hold `needle`: "tuple" when a live or dead tuple holds it,
    "free space" when only bytes outside any tuple do."""
    found: dict[str, str] = {}
    for name, paths in files.items():
        for path in paths:
            data = path.read_bytes()
            if needle.encode() not in data:
                continue
            in_tuple = any(needle.encode() in item for item in page_items(data))
            found[name] = "tuple" if in_tuple or found.get(name) == "tuple" else "free space"
    return found
