#!/usr/bin/env bash
# Download every package the image installs into wheelhouse/, exactly the files the lock file
# names (hash-checked), for a build that cannot reach PyPI itself: the Dockerfile installs from
# wheelhouse/ alone when it holds wheels. Run it where PyPI is reachable, with Python 3.11 on the
# image's CPU architecture (pip picks the wheels for the Python that runs it); then copy the
# project folder, wheelhouse/ included, to the machine that builds. Extra arguments go to
# `pip download`. PYTHON=/path/to/python3.11 (default python3); PIP_INDEX_URL (default PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
LOCK="${LOCK:-requirements.lock}"
rm -f wheelhouse/*.whl wheelhouse/*.tar.gz
# --isolated: this machine's pip configuration (extra indexes, local wheels) must not replace the
# files the lock names.
"$PYTHON" -m pip download --isolated --disable-pip-version-check --quiet \
	--index-url "${PIP_INDEX_URL:-https://pypi.org/simple}" \
	--require-hashes --no-deps --only-binary :all: -r "$LOCK" -d wheelhouse "$@"
echo "wheelhouse/: $(find wheelhouse -name '*.whl' | wc -l) wheels, $(du -sh wheelhouse | cut -f1)"
