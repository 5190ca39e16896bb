# Nexus Bot image: slim Python, non-root user, database on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/app/data/nexus.db

RUN useradd --create-home --uid 10001 nexus
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY db ./db
COPY content ./content
COPY sandbox ./sandbox
COPY bench ./bench
RUN pip install .

RUN mkdir -p /app/data && chown nexus:nexus /app/data
USER nexus
VOLUME ["/app/data"]

CMD ["python", "-m", "bot"]
