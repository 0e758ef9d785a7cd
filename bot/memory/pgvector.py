"""What Mem0's pgvector store needs before the bot can rely on it (VECTOR_STORE_URL=postgresql://…).

Mem0 2.2.1 creates the table `memories (id uuid, vector, payload jsonb)` with an HNSW index on the
vector and a GIN index on the payload's text; every search, listing and keyword search filters on
`payload->>'user_id'`, which no index serves. Two consequences, measured (bench/memory_store.py):
- pgvector 0.6 walks the HNSW graph for the globally nearest vectors (ef_search = 40) and filters
  them afterwards, so a user whose memories are not among those gets fewer results than asked, or
  none: recall that silently fails as the table grows;
- the GIN index keeps the words of erased memories as index keys (GIN never removes a key).
So the store is configured without the HNSW index, the GIN index is dropped, and a btree index on
the user id makes every query read the asking user's rows only (exact; cost grows with that user's
memories, which MEMORY_MAX_PER_USER caps). After an erasure, `vacuum` removes the dead rows.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bot.errors import Unavailable

logger = logging.getLogger(__name__)

PROVIDER = "pgvector"
CONNECT_TIMEOUT_SECONDS = 10


class VectorStoreUnreachable(Unavailable):
    """The PostgreSQL named by VECTOR_STORE_URL refused or did not answer at start (no secret in it)."""


def server_name(url: str) -> str:
    """host:port/database of a postgresql:// URL, without the user or password (for messages)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
        port = parts.port
    except ValueError:
        return "a malformed URL"
    return hide_password(f"{host}{f':{port}' if port else ''}{parts.path or ''}", url)


def password_of(url: str) -> str | None:
    """The password in a postgresql:// URL as written (the user info ends at the last "@" before
    the path), read without a URL parser so a malformed URL still gives it up for masking."""
    rest = url.split("://", 1)[-1]
    authority = rest.split("?", 1)[0]
    if "@" not in authority:
        return None
    user_info = authority[: authority.rfind("@")]
    return user_info.partition(":")[2] or None


def hide_password(text: str, url: str) -> str:
    """`text` with the URL's password (as written and percent-decoded) replaced by ***."""
    password = password_of(url)
    if not password:
        return text
    for form in sorted({password, unquote(password)}, key=len, reverse=True):
        if len(form) >= 3:
            text = text.replace(form, "***")
    return text


def check_url(url: str) -> None:
    """VectorStoreUnreachable naming what is wrong with a malformed URL (never its password)."""
    reason = None
    if re.search(r"\s", url):
        reason = "it holds a space or another blank; percent-encode it (a space is %20)"
    elif re.search(r"%(?![0-9A-Fa-f]{2})", url):
        reason = "it holds a % that starts no %XX escape; write a % in the password as %25"
    elif "%00" in url:
        reason = "it holds %00 (a NUL character), which PostgreSQL refuses"
    else:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (a port that is no number raises here)
        except ValueError:  # its message may quote a piece of the password ("as 'pa'")
            reason = (
                "its host or port cannot be read (an unclosed [, or a : / # ? @ in the password); "
                "percent-encode those characters in the password"
            )
    if reason is not None:
        raise VectorStoreUnreachable(f"VECTOR_STORE_URL cannot be used: {reason}")


def probe(url: str) -> str:
    """Connect once and return the pgvector version the server offers; VectorStoreUnreachable with
    PostgreSQL's own reason (the password masked) if it cannot be used. Run before Mem0 opens
    its pool, so a wrong URL fails at once instead of after the pool's 30 s timeout."""
    check_url(url)
    try:
        import psycopg
        import psycopg_pool  # noqa: F401 (Mem0's pgvector store needs it)
    except ImportError:
        raise VectorStoreUnreachable(
            'VECTOR_STORE_URL needs psycopg and its pool: pip install -e ".[pgvector]"'
        ) from None

    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            row = conn.execute(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
            ).fetchone()
    except psycopg.Error as exc:
        # psycopg quotes a malformed value, the password among them ('unexpected spaces in "…"')
        reason = hide_password(" ".join(str(exc).split()), url)
        raise VectorStoreUnreachable(
            f"the PostgreSQL of VECTOR_STORE_URL ({server_name(url)}) cannot be used: {reason}"
        ) from None
    if row is None:
        raise VectorStoreUnreachable(
            f"the PostgreSQL of VECTOR_STORE_URL ({server_name(url)}) has no pgvector extension "
            "(install pgvector on the server)"
        )
    return str(row[0])


def store_config(url: str, dims: int, collection: str = "memories") -> dict[str, Any]:
    """Mem0's vector store config for pgvector: exact per-user search, no HNSW."""
    return {
        "provider": PROVIDER,
        "config": {
            "collection_name": collection,
            "embedding_model_dims": dims,
            "connection_string": url,
            "hnsw": False,
            "diskann": False,
        },
    }


def prepare(store: Any) -> None:
    """Create the table if needed and index it for per-user queries (idempotent; runs at start).

    Also migrates a table made with Mem0's defaults: its HNSW and GIN indexes are dropped.
    """
    from psycopg import sql

    store.create_col()  # CREATE TABLE / EXTENSION IF NOT EXISTS (with hnsw=False: no HNSW index)
    name = store.collection_name
    table = sql.Identifier(name)
    with store.connection_pool.connection() as conn:
        for index in (f"{name}_hnsw_idx", f"{name}_diskann_idx", f"{name}_text_lemmatized_idx"):
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index)))
        conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ((payload->>'user_id'))").format(
                sql.Identifier(f"{name}_user_id_idx"), table
            )
        )


def vacuum(store: Any) -> int:
    """VACUUM the memories table so deleted rows leave no dead tuple behind; returns the dead
    tuples PostgreSQL still reports afterwards (> 0 while another transaction holds an older
    snapshot: autovacuum removes them later).

    VACUUM cannot run inside a transaction, so the pooled connection is switched to autocommit
    for it and back.
    """
    from psycopg import sql

    table = sql.Identifier(store.collection_name)
    with store.connection_pool.connection() as conn:
        conn.autocommit = True
        try:
            conn.execute(sql.SQL("VACUUM {}").format(table))
            row = conn.execute(
                "SELECT pg_stat_get_dead_tuples(%s::regclass)", (store.collection_name,)
            ).fetchone()
        finally:
            conn.autocommit = False
    dead = int(row[0]) if row else 0
    if dead:
        logger.warning(
            "VACUUM left %d dead rows in %s: another transaction holds an old snapshot; "
            "autovacuum will remove them later",
            dead,
            store.collection_name,
        )
    return dead


def is_pgvector(store: Any) -> bool:
    """Whether `store` is Mem0's pgvector store."""
    return type(store).__module__ == "mem0.vector_stores.pgvector"


def close(store: Any) -> None:
    """Close the store's connection pool (Mem0's `Memory.close` leaves it open)."""
    pool = getattr(store, "connection_pool", None)
    if pool is not None:
        pool.close()
