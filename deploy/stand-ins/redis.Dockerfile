# Stand-in for redis:7-alpine from Debian bookworm's Redis 7.0 (see prepare-docker.sh): redis-server
# on 6379 for other containers (no protected mode, as in the official image), redis-cli on PATH.
ARG ROOTFS
FROM ${ROOTFS}
RUN rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
