#!/bin/sh
# The entry point of the PostgreSQL + pgvector image that `make docker-test` builds from Debian's
# packages (deploy/docker-test.sh) when the public pgvector/pgvector image cannot be pulled. It
# reads what the public image reads: POSTGRES_PASSWORD (required), POSTGRES_USER (default
# postgres), POSTGRES_DB (default: the user's name) and PGDATA; initialises an empty PGDATA once
# (password authentication over TCP, trust on the local socket), then runs `postgres ARGS...` as
# the postgres user. Any other command runs as given.
set -eu

if [ "${1:-}" != postgres ]; then
    exec "$@"
fi
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
shift

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?is not set: PostgreSQL needs a password for its superuser}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    if [ "$db" != postgres ]; then
        pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
        createdb --username="$user" "$db"
        pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    echo "PostgreSQL initialised in $PGDATA: user $user, database $db"
fi
exec postgres "$@"
