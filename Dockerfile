# hocai: the production image (docs/DEPLOY.md).
#
#   docker build -t hocai .
#   docker compose up -d          # Postgres 16, `hocai serve` and `hocai worker`
#
# Two stages: `build` makes a virtualenv with the package and its dependencies (with a
# compiler at hand, should a dependency have no wheel for this platform); the final stage
# is slim Python with that virtualenv copied in: no compiler, no pip, a non-root user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY lessons ./lessons
COPY storage ./storage
COPY deploy/install.sh ./deploy/install.sh
# The same steps tests/production/test_image.py runs in a fresh virtualenv.
RUN PYTHON=python sh deploy/install.sh /opt/venv /src

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PROMPTS_DIR=/app/prompts \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080 \
    LOG_FORMAT=json \
    DATABASE_URL=sqlite+aiosqlite:////app/data/hocai.db
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin hocai \
    && mkdir -p /app/data && chown hocai:hocai /app/data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY prompts ./prompts
USER hocai
EXPOSE 8080
# Every process (serve, worker, run) answers /healthz on WEB_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=4)"]
# SIGTERM: stop taking work, finish what is in flight, exit (give it 30 s: compose does).
STOPSIGNAL SIGTERM
# `hocai run` on SQLite in /app/data for a single small deployment; Compose runs
# `hocai serve` and `hocai worker` on Postgres instead.
CMD ["hocai", "run"]
