#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Teliporter production deploy (the deployment plan's deploy.sh, made safe to re-run).
#
#   deploy/deploy.sh            pull main, build, migrate, restart, check health; roll back if not
#
# Steps: pull → build the SPA → build the image tagged with the commit → migrate (before the
# restart) → restart the containers → check /api/v1/health → reload nginx → prune old images.
# It stops at the first failing step. A failed health check after the restart puts the previous
# image (and the previous SPA build) back and exits non-zero. Migrations are not reversed
# automatically: see DEPLOY.md, "Rollback".
#
# Environment (all optional):
#   TELIPORTER_DIR   checkout to deploy             (default: the folder above this script)
#   GIT_REMOTE, GIT_BRANCH                          (default: origin, main)
#   HEALTH_URL       checked after the restart      (default: http://127.0.0.1:8000/api/v1/health)
#   HEALTH_TIMEOUT   seconds to wait for "ok"       (default: 120)
#   KEEP_IMAGES      image tags kept for rollback   (default: 5)
#   SKIP_PULL=1      deploy the checkout as it is (e.g. after rsync instead of git)
set -euo pipefail
# The ERR trap below must also fire for a failure inside main() and its subshells.
set -o errtrace

ROOT="${TELIPORTER_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
GIT_REMOTE="${GIT_REMOTE:-origin}"
GIT_BRANCH="${GIT_BRANCH:-main}"
KEEP_IMAGES="${KEEP_IMAGES:-5}"
STATE="$ROOT/.deploy"
# shellcheck source=lib.sh
source "$ROOT/deploy/lib.sh"

step=""
on_error() {
  # Once, from the script itself, not again from each subshell the failure passes through.
  if [[ "$BASHPID" == "$$" ]]; then
    echo "!!! Deploy FAILED at: ${step:-start} (nothing after this step ran)" >&2
  fi
}
trap on_error ERR

say() { step="$1"; echo "$1"; }

# Everything runs from this function, which bash reads whole before running it: step 1 may pull
# a new version of this very file, and bash would otherwise go on reading the new one mid-way.
main() {
  cd "$ROOT"
  mkdir -p "$STATE"
  echo "=== Teliporter Production Deploy ==="

  # The image running now is the one to go back to if this deploy turns out unhealthy.
  previous="$(cat "$STATE/current" 2>/dev/null || true)"

  say "1. Pulling latest code..."
  if [[ "${SKIP_PULL:-0}" != "1" ]]; then
    git pull --ff-only "$GIT_REMOTE" "$GIT_BRANCH"
  fi
  tag="$(git rev-parse --short=12 HEAD)"
  export TELIPORTER_TAG="$tag"
  echo "   deploying $tag (previous: ${previous:-none})"

  say "2. Building frontend..."
  # Keep the SPA build that is live now, to put back with the previous image on a rollback.
  if [[ -n "$previous" && -d frontend/dist ]]; then
    rm -rf "$STATE/dist-$previous"
    cp -a frontend/dist "$STATE/dist-$previous"
  fi
  (
    cd frontend
    npm ci --include=dev
    VITE_API_BASE_URL=/api/v1 npm run build
  )
  test -f frontend/dist/index.html

  say "3. Building Docker images ($IMAGE:$tag)..."
  "${COMPOSE[@]}" build

  say "4. Running database migrations..."
  # Before the restart, with the new image: the old containers keep serving meanwhile, so
  # migrations must stay compatible with the previous release (add first, drop a release later).
  "${COMPOSE[@]}" run --rm backend alembic upgrade head

  say "5. Restarting services..."
  # Recreates the containers whose image changed; Redis keeps running (and its queue).
  "${COMPOSE[@]}" up -d --remove-orphans

  # From here the new release is the live one, healthy or not.
  echo "$tag" >"$STATE/current"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $tag" >>"$STATE/history"

  say "6. Checking health ($HEALTH_URL)..."
  if ! healthy; then
    echo "!!! $tag is not healthy: rolling back to ${previous:-nothing}" >&2
    "${COMPOSE[@]}" logs --tail=50 backend celery_worker >&2 || true
    trap - ERR
    if [[ -z "$previous" ]]; then
      echo "!!! No earlier release recorded: fix forward, or run deploy/rollback.sh TAG" >&2
    elif ! "$ROOT/deploy/rollback.sh" "$previous"; then
      echo "!!! The rollback failed too: see DEPLOY.md, Rollback" >&2
    fi
    exit 1
  fi

  say "7. Reloading Nginx..."
  sudo nginx -t && sudo systemctl reload nginx

  say "8. Cleaning up..."
  # Keep the newest KEEP_IMAGES tags (rollback targets); remove older ones and dangling layers.
  mapfile -t old_tags < <(
    docker image ls "$IMAGE" --format '{{.CreatedAt}}	{{.Tag}}' | sort -r | cut -f2 \
      | grep -vx -e "$tag" -e "${previous:-$tag}" -e '<none>' | tail -n +"$((KEEP_IMAGES - 1))"
  )
  for old in "${old_tags[@]}"; do
    docker image rm "$IMAGE:$old" >/dev/null || true
    rm -rf "$STATE/dist-$old"
  done
  docker image prune -f >/dev/null

  echo "=== Deploy complete: $tag ==="
  echo "Backend: $(docker ps --filter name=teliporter-backend --format '{{.Status}}')"
  echo "Worker:  $(docker ps --filter name=teliporter-celery-worker --format '{{.Status}}')"
  echo "Beat:    $(docker ps --filter name=teliporter-celery-beat --format '{{.Status}}')"
  echo "Redis:   $(docker ps --filter name=teliporter-redis --format '{{.Status}}')"
}

main "$@"
