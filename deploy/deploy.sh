#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Teliporter production deploy (the deployment plan's deploy.sh, made safe to re-run).
#
#   deploy/deploy.sh            pull main, build, migrate, restart, check health; roll back if not
#
# Steps: pull → build the SPA into .deploy/spa/<commit> (beside the live one) → keep the compose
# file in .deploy/releases/<commit>/ → build the image teliporter-backend:<commit> → migrate
# (before the restart) → restart the containers → check /api/v1/health → switch the SPA
# (frontend/dist, a symlink, now points at the new build: one rename) → reload nginx → prune.
# It stops at the first failing step, and a release that fails to build, migrate, restart or
# pass the health check is recorded as failed in .deploy/history. Until the health check
# passes, the live SPA is not touched; a failed migration leaves the old containers running. A
# failed health check puts the previous release back (deploy/rollback.sh <previous>) and exits
# non-zero. Migrations are not reversed automatically: see DEPLOY.md, "Rollback".
#
# Kept in .deploy/ (in the checkout, i.e. /opt/teliporter/.deploy):
#   current                            the live release (a commit, git rev-parse --short=12)
#   history                            every deploy and rollback and its outcome (see lib.sh:
#                                      `<UTC time> <tag> deployed|healthy|failed|rollback [step]`)
#   spa/<tag>/                         each kept release's SPA build; frontend/dist -> the live one
#   releases/<tag>/docker-compose.prod.yml   the compose file each kept release ran with
# Pruning keeps the newest KEEP_RELEASES healthy releases and the current one (images, SPA
# builds, compose files); failed releases are never kept and never count. On the first run
# after upgrading, a real frontend/dist folder moves to .deploy/spa/<live release> and
# frontend/dist becomes the symlink (nginx's `root /opt/teliporter/frontend/dist;` follows it).
#
# Environment (all optional):
#   TELIPORTER_DIR   checkout to deploy             (default: the folder above this script)
#   GIT_REMOTE, GIT_BRANCH                          (default: origin, main)
#   HEALTH_URL       checked after the restart      (default: http://127.0.0.1:8000/api/v1/health)
#   HEALTH_TIMEOUT   seconds to wait for "ok"       (default: 120)
#   KEEP_RELEASES    healthy releases kept for rollback (default: 5; KEEP_IMAGES is the old name)
#   SKIP_PULL=1      deploy the checkout as it is (e.g. after rsync instead of git)
#   TELIPORTER_COMPOSE_OVERRIDE   a compose file merged over every release's (a second -f)
#   COMPOSE_PROJECT_NAME          the compose project (default: the compose file's `name:`,
#                                 else teliporter), the same for every release
#   NGINX_RELOAD_CMD  run with bash -c at the nginx step
#                     (default: sudo nginx -t && sudo systemctl reload nginx)
set -euo pipefail
# The ERR trap below must also fire for a failure inside main() and its subshells.
set -o errtrace

ROOT="${TELIPORTER_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
GIT_REMOTE="${GIT_REMOTE:-origin}"
GIT_BRANCH="${GIT_BRANCH:-main}"
KEEP_RELEASES="${KEEP_RELEASES:-${KEEP_IMAGES:-5}}"
# shellcheck source=lib.sh
source "$ROOT/deploy/lib.sh"

if [[ ! "$KEEP_RELEASES" =~ ^[1-9][0-9]*$ ]]; then
  echo "KEEP_RELEASES must be a number from 1: $KEEP_RELEASES" >&2
  exit 2
fi

step="" stage="" tag="" live=0 new_spa=""
on_error() {
  # Once, from the script itself, not again from each subshell the failure passes through.
  if [[ "$BASHPID" == "$$" ]]; then
    echo "!!! Deploy FAILED at: ${step:-start} (nothing after this step ran)" >&2
    # A release that never went live is recorded as failed (rollback.sh skips it).
    if [[ -n "$tag" && "$live" == 0 ]]; then record "$tag" failed "$stage" || true; fi
  fi
}
trap on_error ERR
cleanup() {
  if [[ -n "$new_spa" && -d "$STATE/spa/$new_spa" ]]; then rm -rf "${STATE:?}/spa/$new_spa"; fi
}
trap cleanup EXIT

say() { stage="$1" step="$2"; echo "$2"; }

# Everything runs from this function, which bash reads whole before running it: step 1 may pull
# a new version of this very file, and bash would otherwise go on reading the new one mid-way.
main() {
  cd "$ROOT"
  mkdir -p "$STATE/spa" "$STATE/releases"
  echo "=== Teliporter Production Deploy ==="

  # The release running now is the one to go back to if this deploy turns out unhealthy.
  previous="$(cat "$STATE/current" 2>/dev/null || true)"
  adopt_spa_layout "$previous"

  say pull "1. Pulling latest code..."
  if [[ "${SKIP_PULL:-0}" != "1" ]]; then
    git pull --ff-only "$GIT_REMOTE" "$GIT_BRANCH"
  fi
  tag="$(git rev-parse --short=12 HEAD)"
  export TELIPORTER_TAG="$tag"
  echo "   deploying $tag (previous: ${previous:-none})"

  say build "2. Building frontend (.deploy/spa/$tag; the live SPA stays as it is)..."
  # npm passes the arguments after -- to the last command of the build script: it must be vite.
  if ! grep -Eq '"build"[[:space:]]*:[[:space:]]*"[^"]*vite build"' frontend/package.json; then
    echo "   frontend/package.json's build script must end with \`vite build\`" >&2
    false
  fi
  new_spa=".new-$tag"
  rm -rf "${STATE:?}/spa/$new_spa"
  (
    cd frontend
    npm ci --include=dev
    VITE_API_BASE_URL=/api/v1 npm run build -- --outDir "$STATE/spa/$new_spa" --emptyOutDir
  )
  test -f "$STATE/spa/$new_spa/index.html"

  say build "3. Building Docker images ($IMAGE:$tag)..."
  # The compose file this release runs with, kept for a rollback to it.
  release="$STATE/releases/$tag"
  mkdir -p "$release"
  cp "$COMPOSE_FILE" "$release/$COMPOSE_FILE.new"
  mv -f "$release/$COMPOSE_FILE.new" "$release/$COMPOSE_FILE"
  compose "$release/$COMPOSE_FILE" build

  say migrate "4. Running database migrations..."
  # Before the restart, with the new image: the old containers keep serving meanwhile, so
  # migrations must stay compatible with the previous release (add first, drop a release later).
  compose "$release/$COMPOSE_FILE" run --rm backend alembic upgrade head

  say restart "5. Restarting services..."
  # Recreates the containers whose image changed; Redis keeps running (and its queue).
  compose "$release/$COMPOSE_FILE" up -d --remove-orphans

  # From here the new release is the live one, healthy or not.
  echo "$tag" >"$STATE/current"
  record "$tag" deployed

  say health "6. Checking health ($HEALTH_URL)..."
  if ! healthy; then
    trap - ERR
    record "$tag" failed health
    echo "!!! $tag is not healthy: rolling back to ${previous:-nothing}" >&2
    compose "$release/$COMPOSE_FILE" logs --tail=50 backend celery_worker celery_backfill >&2 || true
    if [[ -z "$previous" ]]; then
      echo "!!! No earlier release recorded: fix forward, or run deploy/rollback.sh TAG" >&2
    elif ! "$ROOT/deploy/rollback.sh" "$previous"; then
      echo "!!! The rollback failed too: see DEPLOY.md, Rollback" >&2
    fi
    exit 1
  fi
  record "$tag" healthy
  live=1

  say spa "7. Switching the SPA to $tag..."
  publish_spa "$tag" "$new_spa"
  test -f frontend/dist/index.html

  say nginx "8. Reloading Nginx..."
  bash -c "$NGINX_RELOAD_CMD"

  say prune "9. Cleaning up..."
  prune

  echo "=== Deploy complete: $tag ==="
  echo "Backend:  $(docker ps --filter name=teliporter-backend --format '{{.Status}}')"
  echo "Worker:   $(docker ps --filter name=teliporter-celery-worker --format '{{.Status}}')"
  echo "Backfill: $(docker ps --filter name=teliporter-celery-backfill --format '{{.Status}}')"
  echo "Beat:     $(docker ps --filter name=teliporter-celery-beat --format '{{.Status}}')"
  echo "Redis:    $(docker ps --filter name=teliporter-redis --format '{{.Status}}')"
}

# Removes every release but the newest KEEP_RELEASES healthy ones and the current one: its
# image, SPA build and compose file (so failed releases go first, and never count). The SPA
# frontend/dist points at is always kept.
prune() {
  local keep old spa_live
  keep=" $(kept_releases "$KEEP_RELEASES" "$tag" | tr '\n' ' ') "
  spa_live="$(live_spa)"
  while read -r old; do
    [[ -z "$old" || "$old" == "<none>" || "$old" == latest || "$keep" == *" $old "* ]] && continue
    echo "   removing release $old"
    docker image rm "$IMAGE:$old" >/dev/null || true
  done < <(docker image ls "$IMAGE" --format '{{.Tag}}')
  for old in "$STATE"/spa/* "$STATE"/releases/*; do
    [[ -d "$old" ]] || continue
    [[ "$keep" == *" ${old##*/} "* || "$old" == "$STATE/spa/$spa_live" ]] && continue
    rm -rf "$old"
  done
  docker image prune -f >/dev/null
}

main "$@"
