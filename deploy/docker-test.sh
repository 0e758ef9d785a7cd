#!/usr/bin/env bash
# `make docker-test` (slow, so not part of `make test`): build the bot's image with podman and run
# it for real against the fake Telegram and Gemini servers (tests/docker/container_run.py says
# what is checked), with the embedded store and then with PostgreSQL + pgvector.
#
# No image registry is reachable on our machines, so the public images that the Dockerfile and
# compose.yaml name are built here from Debian's packages when podman does not have them yet:
#   python:3.11-slim        bookworm's python3 (3.11), python3-venv and ca-certificates
#   pgvector/pgvector:pg17  trixie's postgresql-17 and postgresql-17-pgvector (bookworm has no
#                           pgvector package), with an entry point that reads the public image's
#                           variables (deploy/docker/pgvector-entrypoint.sh)
# Needs root, podman, runc and mmdebstrap (apt-get install podman runc mmdebstrap), and
# `[containers] default_ulimits = []` in /etc/containers/containers.conf on machines where a
# container otherwise fails on setrlimit.
set -euo pipefail
cd "$(dirname "$0")/.."

PODMAN=(podman --runtime runc)  # crun refuses this kernel's cgroup layout
PY_BASE=docker.io/library/python:3.11-slim
PG_IMAGE=docker.io/pgvector/pgvector:pg17
IMAGE=localhost/advisor-bot:docker-test
CA_DIR=/etc/ssl/certs
PYTHON=${PYTHON:-.venv/bin/python}
WORK=$(mktemp -d /tmp/advisor-docker-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# What Debian's slim images leave out: documentation, manuals and translations (copyright kept).
SLIM=(--variant=minbase --aptopt='APT::Install-Recommends "false"'
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*'
      --dpkgopt='path-include=/usr/share/doc/*/copyright')

seconds() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.0f", b - a }'; }
megabytes() { "${PODMAN[@]}" image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }

if ! "${PODMAN[@]}" image exists "$PY_BASE"; then
    echo "== $PY_BASE is missing: building it from Debian bookworm's packages"
    began=$(seconds)
    # usrmerge (and the full perl it pulls in) only converts a system to merged /usr: this one is
    # merged from the start (usr-is-merged), like the public image.
    mmdebstrap --quiet "${SLIM[@]}" --include=usr-is-merged,python3,python3-venv,ca-certificates \
        --customize-hook='chroot "$1" dpkg --purge usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl libperl5.36 perl-modules-5.36 libgdbm-compat4 >/dev/null' \
        bookworm "$WORK/python.tar"
    "${PODMAN[@]}" import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        "$WORK/python.tar" "$PY_BASE" >/dev/null
    rm -f "$WORK/python.tar"
    echo "   built in $(since "$began") s: $(megabytes "$PY_BASE")"
fi

if ! "${PODMAN[@]}" image exists "$PG_IMAGE"; then
    echo "== $PG_IMAGE is missing: building it from Debian trixie's postgresql-17 and postgresql-17-pgvector"
    began=$(seconds)
    mmdebstrap --quiet "${SLIM[@]}" --include=usr-is-merged,postgresql-17,postgresql-17-pgvector \
        --customize-hook='rm -rf "$1/var/lib/postgresql/17" "$1/etc/postgresql/17"' \
        --customize-hook='copy-in deploy/docker/pgvector-entrypoint.sh /usr/local/bin' \
        trixie "$WORK/postgres.tar"
    "${PODMAN[@]}" import \
        --change 'ENV PGDATA=/var/lib/postgresql/data' --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'VOLUME /var/lib/postgresql/data' --change 'EXPOSE 5432' --change 'STOPSIGNAL SIGINT' \
        --change 'ENTRYPOINT ["pgvector-entrypoint.sh"]' --change 'CMD ["postgres"]' \
        "$WORK/postgres.tar" "$PG_IMAGE" >/dev/null
    rm -f "$WORK/postgres.tar"
    echo "   built in $(since "$began") s: $(megabytes "$PG_IMAGE")"
fi

echo "== building the bot's image from the Dockerfile ($IMAGE)"
# The build reaches PyPI through this machine's TLS-inspecting proxy: its CA bundle is mounted
# read-only for the build and named to pip (the Dockerfile's PIP_CERT build argument, used in the
# build stage only). A plain `docker build .` elsewhere needs neither.
began=$(seconds)
"${PODMAN[@]}" build --quiet --format docker --pull=never --network=host \
    --volume "$CA_DIR:$CA_DIR:ro" --build-arg "PIP_CERT=$CA_DIR/ca-certificates.crt" \
    --tag "$IMAGE" . >/dev/null
echo "   built in $(since "$began") s"
echo "   image size: $(megabytes "$IMAGE") (base $PY_BASE: $(megabytes "$PY_BASE"))"
echo "   what takes the space (the virtual environment the first stage built, largest packages):"
"${PODMAN[@]}" run --rm --network=none --no-healthcheck --entrypoint sh "$IMAGE" -c \
    'cd /opt/venv/lib/python3*/site-packages && du -sm /opt/venv | sed "s/^/     /" &&
     du -sm -- * | sort -rn | head -12 | sed "s/^/     /"'

echo "== running the image against the fakes on 127.0.0.1"
"$PYTHON" -m tests.docker.container_run --image "$IMAGE" --postgres-image "$PG_IMAGE" \
    --podman "${PODMAN[*]}"
