# The practice platform in one image: `streamlit run mvp/app.py` on $PORT (default 8501).
# Built and started by compose.yaml (two app processes behind Caddy); see "Deploying" in the README.
# PYTHON_IMAGE: another Python 3.11 base where Docker Hub is unreachable
# (`docker build --build-arg PYTHON_IMAGE=...`); the default is the official slim image.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8501

# A user without a login shell or root rights runs the app.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies in their own layer: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code stays owned by root (read-only to the app); only data/ (the SQLite default) is writable.
COPY . .
RUN mkdir -p /app/data && chown app:app /app/data

USER app

EXPOSE 8501

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_stcore/health' % os.environ.get('PORT', '8501'), timeout=4)"

CMD ["sh", "-c", "exec streamlit run mvp/app.py --server.port ${PORT:-8501} --server.address 0.0.0.0 --server.headless true"]
