# paperboy: one process, one SQLite file in /data. Without chat tokens it runs the console adapter.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PAPERBOY_DB=/data/paperboy.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
RUN pip install . && useradd --create-home paperboy && mkdir /data && chown paperboy /data

USER paperboy
VOLUME ["/data"]
CMD ["paperboy", "run"]
