# A first image: the tutor with its lessons, as a non-root user.
# Production (multi-stage build, web and worker processes, Compose) comes later.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY lessons ./lessons
COPY prompts ./prompts
COPY storage ./storage
RUN pip install . && useradd --create-home --uid 10001 hocai && mkdir -p /app/data \
    && chown hocai /app/data
USER hocai
ENV DATABASE_URL=sqlite+aiosqlite:////app/data/hocai.db
VOLUME ["/app/data"]
ENTRYPOINT ["hocai"]
CMD ["chat"]
