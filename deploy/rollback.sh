#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Teliporter rollback: run a release that was deployed before, from its kept image.
#
#   deploy/rollback.sh                         the newest HEALTHY release deployed before the
#                                              current one (releases that failed a build, their
#                                              migration or their health check are skipped)
#   deploy/rollback.sh TAG                     a given release (a commit, as deploy.sh tags them)
#   deploy/rollback.sh TAG --downgrade REV     first reverse migrations down to REV (an Alembic
#                                              revision), with the CURRENT image: only it knows
#                                              the newer migrations. Only when the old code cannot
#                                              run on the new schema, since a downgrade may drop data.
#   deploy/rollback.sh --list                  the releases, in the order first deployed, with
#                                              their outcome (healthy, failed or unknown)
#
# Images are tagged by commit (teliporter-backend:<commit>), so nothing is rebuilt: the old
# containers come back in seconds, started from the compose file kept with that release
# (.deploy/releases/<tag>/docker-compose.prod.yml, else the checkout's), and frontend/dist is
# pointed at the SPA build kept with it (.deploy/spa/<tag>). Then it checks /api/v1/health like
# deploy.sh and records the outcome in .deploy/history (`rollback`, then `healthy` or `failed`).
# Running it twice goes two releases back. Environment: TELIPORTER_DIR, HEALTH_URL,
# HEALTH_TIMEOUT, TELIPORTER_COMPOSE_OVERRIDE, COMPOSE_PROJECT_NAME (as deploy.sh).
set -euo pipefail

ROOT="${TELIPORTER_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# shellcheck source=lib.sh
source "$ROOT/deploy/lib.sh"

usage() { sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

list() {
  local current tag outcome when
  current="$(cat "$STATE/current" 2>/dev/null || true)"
  [[ -s "$STATE/history" ]] || { echo "no deploys recorded"; return 0; }
  while read -r tag _ _ outcome when; do
    printf '%-14s %-8s %s%s\n' "$tag" "$outcome" "$when" "$([[ "$tag" == "$current" ]] && echo "  (current)")"
  done < <(release_table)
}

target="" downgrade=""
while (($#)); do
  case "$1" in
    -h | --help) usage 0 ;;
    --list) list; exit 0 ;;
    --downgrade) downgrade="${2:?--downgrade needs an Alembic revision}"; shift 2 ;;
    -*) echo "unknown option: $1" >&2; usage 2 ;;
    *) target="$1"; shift ;;
  esac
done

cd "$ROOT"
mkdir -p "$STATE"
current="$(cat "$STATE/current" 2>/dev/null || true)"
adopt_spa_layout "$current"
if [[ -z "$target" ]]; then
  target="$(rollback_target "$current")"
fi
if [[ -z "$target" ]]; then
  echo "No earlier healthy release recorded in $STATE/history: name one (deploy/rollback.sh TAG)." >&2
  exit 2
fi
if ! docker image inspect "$IMAGE:$target" >/dev/null 2>&1; then
  echo "The image $IMAGE:$target is not on this machine (deploy.sh keeps the last few)." >&2
  echo "Rebuild it: git checkout $target && SKIP_PULL=1 deploy/deploy.sh" >&2
  exit 2
fi
echo "=== Teliporter rollback: ${current:-unknown} -> $target ==="
target_compose="$(release_compose "$target")"

if [[ -n "$downgrade" ]]; then
  echo "1. Reversing migrations to $downgrade (with the current image ${current:-latest})..."
  TELIPORTER_TAG="${current:-latest}" compose "$(release_compose "${current:-latest}")" \
    run --rm backend alembic downgrade "$downgrade"
fi

echo "2. Restarting services on $IMAGE:$target..."
TELIPORTER_TAG="$target" compose "$target_compose" up -d --no-build --remove-orphans
echo "$target" >"$STATE/current"
record "$target" rollback

echo "3. Switching the SPA to $target..."
if [[ -f "$STATE/spa/$target/index.html" ]]; then
  point_dist "$target"
else
  echo "   no kept SPA build for $target: frontend/dist stays (-> $(live_spa))" >&2
fi

echo "4. Checking health ($HEALTH_URL)..."
if ! healthy; then
  record "$target" failed health
  echo "!!! $target is not healthy either: see DEPLOY.md, Rollback" >&2
  exit 1
fi
record "$target" healthy
echo "=== Rollback complete: $target ==="
