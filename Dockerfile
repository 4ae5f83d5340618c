# syntax=docker/dockerfile:1
# paperboy: one process, one SQLite file in /data. Without chat tokens it runs the console adapter.
# Build: docker build -t paperboy .   Run: docker compose up -d (see docker-compose.yml).
# tests/test_docker.py checks these facts and replays the builder's install steps.

# The base image, pinned by tag and digest (a tag can be pushed again, a digest cannot).
# Both stages use the same image, so the venv built in the first runs unchanged in the second.
FROM python:3.11.11-slim-bookworm@sha256:081075da77b2b55c23c088251026fb69a7b2bf92471e491ff5fd75c192fd38e5 AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
RUN python -m venv /opt/paperboy
RUN /opt/paperboy/bin/pip install .

FROM python:3.11.11-slim-bookworm@sha256:081075da77b2b55c23c088251026fb69a7b2bf92471e491ff5fd75c192fd38e5

ENV PATH=/opt/paperboy/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PAPERBOY_DB=/data/paperboy.db \
    PAPERBOY_HTTP_PORT=8080

COPY --from=builder /opt/paperboy /opt/paperboy
# A fixed uid/gid, so a bind-mounted /data can be given to it: chown 10001:10001 <dir>.
RUN groupadd --system --gid 10001 paperboy \
    && useradd --system --uid 10001 --gid paperboy --home-dir /data --shell /usr/sbin/nologin paperboy \
    && mkdir -p /data \
    && chown paperboy:paperboy /data

USER paperboy
VOLUME ["/data"]
# /healthz and /metrics (and Slack HTTP mode, when configured) listen here.
EXPOSE 8080
# /healthz answers 200 when the scheduler runs and every configured platform is connected,
# 503 (with the part that is not) otherwise. slim has no curl: Python asks, in one line.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request\nport = os.environ.get('PAPERBOY_HTTP_PORT') or '8080'\ntry:\n    urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)\nexcept Exception as exc:\n    sys.exit(f'unhealthy: {exc}')"]
# paperboy finishes what it is sending and releases its claims on SIGTERM (docker stop).
STOPSIGNAL SIGTERM
CMD ["paperboy", "run"]
