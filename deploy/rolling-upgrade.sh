#!/usr/bin/env bash
# Rolling upgrade of the compose stack: students keep working, no request fails.
#
#   deploy/rolling-upgrade.sh            # after `git pull` (or copying the new release in)
#
# 1. Builds the new image (the running containers keep the old one).
# 2. Runs the migrations. They must be ones the old code tolerates ("expand": new tables, new
#    nullable columns, new indexes); removing or renaming what the old code reads ("contract")
#    waits for a later release, once no process runs the old code.
# 3. Replaces the app processes one at a time: compose stops one (SIGTERM: its /ready turns 503 so
#    Caddy sends new requests to the other, and the replies it is streaming finish, within
#    stop_grace_period), starts it on the new image, and waits until its health check passes and
#    the proxy has had time to see it ready, before the next one. Caddy retries a request that
#    reaches a stopping process on the other one (lb_try_duration).
#
# Compose's usual variables choose the stack (COMPOSE_PROJECT_NAME, COMPOSE_FILE, ...).
# APPS="app1 app2" the services to replace, in order; PROXY_SETTLE_SECONDS (default 12) longer
# than the proxy's active health check interval; HEALTHY_TIMEOUT_SECONDS (default 180).
# Rollback (docs/operations/upgrades.md): check out the previous release and run this script
# again. Its `migrate` leaves a newer schema as it is ("Left as it is. ...") and its apps run on
# it, as expand-first migrations allow; releases before 0009's refused it, see the guide.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a APPS <<<"${APPS:-app1 app2}"
SETTLE="${PROXY_SETTLE_SECONDS:-12}"
HEALTHY_TIMEOUT="${HEALTHY_TIMEOUT_SECONDS:-180}"

log() { printf '[rolling-upgrade %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

wait_healthy() {
	local service="$1" container status deadline=$((SECONDS + HEALTHY_TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		container="$(docker compose ps -q "$service")"
		status="$(docker inspect -f '{{.State.Health.Status}}' "$container" 2>/dev/null || true)"
		if [ "$status" = healthy ]; then return 0; fi
		sleep 1
	done
	log "$service is not healthy after ${HEALTHY_TIMEOUT}s; the other processes still serve."
	log "See: docker compose logs $service. Roll back: previous release, then this script again."
	return 1
}

log "building the new image"
docker compose build
log "migrating the database (expand-only migrations: the running code keeps working)"
docker compose run --rm --no-deps migrate
for app in "${APPS[@]}"; do
	log "replacing $app (its replies finish first; the proxy sends its requests elsewhere)"
	docker compose up -d --no-deps --force-recreate "$app"
	wait_healthy "$app"
	log "$app is healthy on the new image; letting the proxy see it (${SETTLE}s)"
	sleep "$SETTLE"
done
log "done: every app process runs the new image"
