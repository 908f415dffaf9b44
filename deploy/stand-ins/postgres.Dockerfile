# Stand-in for postgres:*-alpine from Debian bookworm's PostgreSQL 15 (see prepare-docker.sh). What
# compose uses behaves as in the official image: POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD or
# POSTGRES_PASSWORD_FILE create the cluster on first start, data in /var/lib/postgresql/data,
# pg_isready on PATH, the server runs as the postgres user and stops fast on SIGINT.
ARG ROOTFS
FROM ${ROOTFS}
RUN pg_dropcluster 15 main 2>/dev/null; rm -rf /var/lib/postgresql/15 /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
