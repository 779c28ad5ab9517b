# syntax=docker/dockerfile:1
# portfolio_rt image, in three stages:
#   build  installs the locked dependencies (requirements/service.txt) and the package into
#          /opt/venv;
#   web    installs the dashboard's browser libraries (npm ci --omit=dev in web/);
#   final  the same base with only the virtual environment, web/ and config.toml: no compilers,
#          no pip, node or npm, no package caches; runs as an unprivileged user.
#
# BASE defaults to the public Python image. Where no image registry is reachable, pass a local
# Debian bookworm root that has python3 and python3-venv (`make image` builds one offline).
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
# CA bundle for HTTPS downloads behind an intercepting proxy (a file mounted into the build).
# Declared in this stage only, so nothing of it reaches the final image.
ARG PIP_CERT=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Dependencies from the locks (exact versions, hashes checked), in a layer of their own that a
# code change does not re-run; then the project itself, built with the locked setuptools.
COPY requirements/build.txt requirements/service.txt ./requirements/
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install ${PIP_CERT:+--cert "$PIP_CERT"} --require-hashes \
        -r requirements/build.txt \
 && /opt/venv/bin/pip install ${PIP_CERT:+--cert "$PIP_CERT"} --require-hashes \
        -r requirements/service.txt
COPY pyproject.toml setup.cfg README.md ./
COPY portfolio_rt ./portfolio_rt
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation . \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools wheel

FROM ${BASE} AS web
# The dashboard's third-party browser libraries come from npm at build time (never from the
# repository). Node is installed only in this stage, and only when web/ declares packages;
# being its own stage, a Python change does not re-run it.
ARG NODE_EXTRA_CA_CERTS=""
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY web ./web
RUN if [ -f web/package.json ]; then \
        if [ ! -f web/package-lock.json ]; then \
            echo "web/package-lock.json is missing: npm ci needs it" >&2; exit 1; \
        fi; \
        apt-get update \
        && apt-get install --yes --no-install-recommends nodejs npm \
        && cd web \
        && npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
        && rm -rf /root/.npm; \
    fi

FROM ${BASE}
LABEL org.opencontainers.image.title="portfolio_rt" \
      org.opencontainers.image.description="Portfolio page service for apps on the Alpaca Broker API"
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=web /src/web ./web
COPY config.toml ./config.toml
# Configuration: /app/config.toml (mount your own over it) and PORTFOLIO_RT__<SECTION>__<KEY>
# variables, which win over the file. Secrets only ever come from the environment
# (ALPACA_BROKER_API_KEY, ALPACA_BROKER_SECRET_KEY, PORTFOLIO_RT_SECRET).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OPENBLAS_NUM_THREADS=1 \
    PORTFOLIO_RT__SERVER__HOST=0.0.0.0 \
    PORTFOLIO_RT__SERVER__PORT=8080 \
    PORTFOLIO_RT__LOG__FORMAT=json \
    PORTFOLIO_RT__DASHBOARD__WEB_DIR=/app/web
USER app:app
EXPOSE 8080
# Liveness: /health on the configured port (the service answers it within milliseconds).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, sys, urllib.request; port = os.environ.get('PORTFOLIO_RT__SERVER__PORT', '8080'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=2).status == 200 else 1)"]
# Exec form: Python is PID 1 and receives SIGTERM itself, then shuts down within 10 s.
STOPSIGNAL SIGTERM
CMD ["python3", "-m", "portfolio_rt", "--config", "/app/config.toml"]
