/**
 * Startup scripts that ship with FleetFlow, registered as Sakura Cloud notes on demand.
 */
import type { BuiltinScriptName } from "./Model/Vocabulary.js"

/**
 * Installs Docker Engine and the Docker Compose plugin from Docker's apt repository on
 * Ubuntu or Debian. Safe to run again: every step checks before it changes anything.
 */
export const fleetflowDockerSetup = `#!/bin/bash
# @sacloud-name "fleetflow-docker-setup"
# @sacloud-once
# @sacloud-desc Installs Docker Engine and the Docker Compose plugin (Ubuntu/Debian). Managed by FleetFlow.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

log() { echo "[fleetflow-docker-setup] $*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "[fleetflow-docker-setup] must run as root" >&2
  exit 1
fi

if [ ! -r /etc/os-release ]; then
  echo "[fleetflow-docker-setup] /etc/os-release not found: unsupported system" >&2
  exit 1
fi
. /etc/os-release
case "\${ID:-}" in
  ubuntu|debian) ;;
  *)
    echo "[fleetflow-docker-setup] unsupported distribution: \${ID:-unknown} (Ubuntu or Debian required)" >&2
    exit 1
    ;;
esac
CODENAME="\${VERSION_CODENAME:-\${UBUNTU_CODENAME:-}}"
if [ -z "$CODENAME" ]; then
  echo "[fleetflow-docker-setup] cannot tell the release codename" >&2
  exit 1
fi

# apt may be held by unattended-upgrades right after the first boot.
wait_for_apt() {
  local tries=0
  while fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1 || fuser /var/lib/apt/lists/lock >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 120 ]; then
      echo "[fleetflow-docker-setup] apt is still locked after 10 minutes" >&2
      exit 1
    fi
    sleep 5
  done
}

if docker --version >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  log "Docker and the Compose plugin are already installed"
else
  wait_for_apt
  apt-get update -y
  apt-get install -y ca-certificates curl gnupg psmisc

  install -m 0755 -d /etc/apt/keyrings
  if [ ! -s /etc/apt/keyrings/docker.asc ]; then
    curl -fsSL "https://download.docker.com/linux/\${ID}/gpg" -o /etc/apt/keyrings/docker.asc
    chmod a+r /etc/apt/keyrings/docker.asc
  fi

  ARCH="$(dpkg --print-architecture)"
  REPO="deb [arch=\${ARCH} signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/\${ID} \${CODENAME} stable"
  if [ ! -f /etc/apt/sources.list.d/docker.list ] || [ "$(cat /etc/apt/sources.list.d/docker.list)" != "$REPO" ]; then
    echo "$REPO" > /etc/apt/sources.list.d/docker.list
  fi

  wait_for_apt
  apt-get update -y
  apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
fi

systemctl enable --now containerd >/dev/null 2>&1 || true
systemctl enable --now docker

if id -u ubuntu >/dev/null 2>&1 && ! id -nG ubuntu | grep -qw docker; then
  usermod -aG docker ubuntu
fi

docker --version
docker compose version
log "done"
`

export const builtinScripts: Readonly<Record<string, string>> = {
  "fleetflow-docker-setup": fleetflowDockerSetup
} satisfies Record<BuiltinScriptName, string>
