# The bot's image: `docker build -t advisor-bot .`, or `docker compose up -d` (compose.yaml).
# Two stages on the same public base: the first builds a wheel of every package (the bot's own
# included) and installs them into a virtual environment; the second copies only that environment,
# so no compiler, pip cache, wheel or source tree reaches the image. No secret is baked in: the
# token and the key come from the environment (`--env-file .env`, compose's env_file).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
# A registry behind a TLS-inspecting proxy: pass its CA bundle's path (mounted into the build) as
# --build-arg PIP_CERT=...; empty by default, and this stage is not part of the image.
ARG PIP_CERT=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN if [ -z "$PIP_CERT" ]; then unset PIP_CERT; fi \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip wheel --wheel-dir /wheels ".[pgvector]" \
 && /opt/venv/bin/pip install --no-compile --no-index --find-links /wheels "memory-advisor-bot[pgvector]"
# Mem0 declares openai and SQLAlchemy (34 MB) but imports openai only for OpenAI-family providers
# and SQLAlchemy nowhere; the bot configures Gemini. pip and setuptools are not needed to run.
# Then byte-code for the modules the bot imports, and no unused locale data or test suites.
COPY deploy/docker/slim_venv.py /tmp/
RUN /opt/venv/bin/pip uninstall --yes openai sqlalchemy pip setuptools \
 && /opt/venv/bin/python /tmp/slim_venv.py

FROM ${PYTHON_IMAGE}
# DATA_DIR holds every file the bot writes: mount a volume there (compose.yaml's bot-data).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/data
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin advisor \
 && mkdir /data && chown advisor:advisor /data
COPY --from=build /opt/venv /opt/venv
USER advisor
WORKDIR /app
VOLUME ["/data"]
# Webhook mode (WEBHOOK_URL set) listens here; /healthz on the same port.
EXPOSE 8080
# SIGTERM: stop fetching, finish the updates in flight, close the databases, exit 0 (well within
# Docker's 10 s before SIGKILL; make docker-test measures it).
STOPSIGNAL SIGTERM
# Webhook mode asks /healthz; long polling reads the poller's heartbeat in DATA_DIR (bot/cli/health.py).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot"]
