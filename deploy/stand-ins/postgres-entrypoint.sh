#!/bin/bash
# The official image's start-up, in short: create the cluster on first start, then run the server.
set -euo pipefail
if [ "${1:-}" != postgres ]; then exec "$@"; fi
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	user="${POSTGRES_USER:-postgres}"
	password="${POSTGRES_PASSWORD:-}"
	if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then password="$(cat "$POSTGRES_PASSWORD_FILE")"; fi
	if [ -z "$password" ]; then echo "POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE must be set" >&2; exit 1; fi
	initdb --username="$user" --pwfile=<(printf '%s\n' "$password") \
		--auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
	printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
	printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
	db="${POSTGRES_DB:-$user}"
	if [ "$db" != postgres ]; then
		postgres --single -D "$PGDATA" -j postgres <<<"CREATE DATABASE \"$db\";" >/dev/null
	fi
	echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
