# Stand-in for the caddy image from Debian bookworm's Caddy 2.6 (see prepare-docker.sh): the same
# command, paths (/etc/caddy/Caddyfile, /data, /config) and wget for compose's health check.
ARG ROOTFS
FROM ${ROOTFS}
RUN rm -rf /var/lib/apt/lists/* && mkdir -p /config /data /srv
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
WORKDIR /srv
EXPOSE 80 443
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
