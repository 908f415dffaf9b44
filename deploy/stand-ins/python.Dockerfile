# Stand-in for python:3.11-slim, built from Debian bookworm's Python 3.11 (see prepare-docker.sh):
# `python` and `pip` on PATH (a virtual environment, since Debian's own Python is externally
# managed), `useradd` for the app's user.
ARG ROOTFS
FROM ${ROOTFS}
RUN python3 -m venv /usr/local/python && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
ENV PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8
CMD ["python3"]
