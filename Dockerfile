# syntax=docker/dockerfile:1
# Multi-stage image: the build stage installs the package into a virtual environment;
# the final stage holds only that environment, the config and the web files.
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
ARG PIP_CERT=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python3 -m venv /opt/venv
COPY pyproject.toml setup.cfg README.md ./
COPY portfolio_rt ./portfolio_rt
RUN /opt/venv/bin/pip install ${PIP_CERT:+--cert "$PIP_CERT"} .

FROM ${BASE}
RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY config.toml ./config.toml
COPY web ./web
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORTFOLIO_RT__SERVER__HOST=0.0.0.0 \
    PORTFOLIO_RT__LOG__FORMAT=json
USER app
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=2).status == 200 else 1)"]
# Exec form, so the service itself receives SIGTERM and shuts down gracefully.
CMD ["python3", "-m", "portfolio_rt", "--config", "/app/config.toml"]
