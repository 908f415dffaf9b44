# The practice platform in one image: `python -m mvp.serve` (Streamlit) on $PORT (default 8501).
# Built and started by compose.yaml (two app processes behind Caddy); see "Deploying" in the README.
# PYTHON_IMAGE: another Python 3.11 base where Docker Hub is unreachable
# (`docker build --build-arg PYTHON_IMAGE=...`); the default is the official slim image.
ARG PYTHON_IMAGE=python:3.11-slim

# A build stage: the dependencies, exactly the versions and files (by hash) in requirements.lock,
# so two builds on different days install the same thing; from wheelhouse/ when it holds wheels (a
# build that cannot reach PyPI: `deploy/wheelhouse.sh` fills it on a machine that can), else from
# PyPI. Then the code, without the wheels. Only /opt/venv and /app reach the image.
FROM ${PYTHON_IMAGE} AS build
COPY requirements.lock wheelhouse/ /build/
RUN python -m venv /opt/venv \
    && if ls /build/*.whl >/dev/null 2>&1; then set -- --no-index --find-links /build; fi \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
        --require-hashes --no-deps "$@" -r /build/requirements.lock
COPY . /app
RUN rm -rf /app/wheelhouse
# The code compiled once here: the image runs with PYTHONDONTWRITEBYTECODE, so without these
# caches every app start and every health check would compile each module from source again.
RUN /opt/venv/bin/python -m compileall -q /app/backend /app/mvp

FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8501 \
    READINESS_PORT=8502

# A user without a login shell or root rights runs the app; numeric, so a runtime that refuses
# root (Kubernetes' runAsNonRoot) can tell without reading /etc/passwd.
RUN groupadd --gid 10001 app \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies in their own layer, rebuilt only when the lock changes.
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# The code stays owned by root (read-only to the app); only data/ (the SQLite default) is writable.
COPY --from=build /app /app
RUN mkdir -p /app/data && chown 10001:10001 /app/data

USER 10001:10001

EXPOSE 8501

# Healthy while Streamlit answers AND the app is ready: its /ready (served by the app process below)
# answers 503 while the database or the configured Redis cannot be reached, or while it shuts down.
HEALTHCHECK --interval=15s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-m", "backend.cli", "healthcheck"]

# `streamlit run mvp/app.py` on $PORT, with the readiness watch (/ready on READINESS_PORT, the
# operator's readiness alerts and daily cost summary) in the same process. On SIGTERM it drains:
# /ready 503, the replies streaming finish within SHUTDOWN_GRACE_SECONDS (25), then it exits;
# compose's stop_grace_period (30s) leaves it that long before SIGKILL. See "Restarts" in the README.
CMD ["python", "-m", "mvp.serve", "--server.address", "0.0.0.0", "--server.headless", "true"]
