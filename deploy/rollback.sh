#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Teliporter rollback: run a release that was deployed before, from its kept image.
#
#   deploy/rollback.sh                         the release before the current one
#   deploy/rollback.sh TAG                     a given release (a commit, as deploy.sh tags them)
#   deploy/rollback.sh TAG --downgrade REV     first reverse migrations down to REV (an Alembic
#                                              revision), with the CURRENT image: only it knows
#                                              the newer migrations. Only when the old code cannot
#                                              run on the new schema, since a downgrade may drop data.
#   deploy/rollback.sh --list                  the releases deployed, newest last
#
# Images are tagged by commit (teliporter-backend:<commit>), so nothing is rebuilt: the old
# containers come back in seconds, the SPA build kept with that release too. Then it checks
# /api/v1/health like deploy.sh. Environment: TELIPORTER_DIR, HEALTH_URL, HEALTH_TIMEOUT.
set -euo pipefail

ROOT="${TELIPORTER_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
STATE="$ROOT/.deploy"
# shellcheck source=lib.sh
source "$ROOT/deploy/lib.sh"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

target="" downgrade=""
while (($#)); do
  case "$1" in
    -h | --help) usage 0 ;;
    --list) cat "$STATE/history" 2>/dev/null || echo "no deploys recorded"; exit 0 ;;
    --downgrade) downgrade="${2:?--downgrade needs an Alembic revision}"; shift 2 ;;
    -*) echo "unknown option: $1" >&2; usage 2 ;;
    *) target="$1"; shift ;;
  esac
done

cd "$ROOT"
current="$(cat "$STATE/current" 2>/dev/null || true)"
if [[ -z "$target" ]]; then
  # The release deployed before the current one was (rollback lines do not count, so a second
  # rollback goes further back rather than forward to the release just left).
  target="$(awk -v cur="$current" '$3 != "rollback" { tags[++n] = $2 }
    END { last = 0; for (i = 1; i <= n; i++) if (tags[i] == cur) last = i
          for (i = last - 1; i >= 1; i--) if (tags[i] != cur) { print tags[i]; exit } }' \
    "$STATE/history" 2>/dev/null || true)"
fi
if [[ -z "$target" ]]; then
  echo "No earlier release recorded in $STATE/history: name one (deploy/rollback.sh TAG)." >&2
  exit 2
fi
if ! docker image inspect "$IMAGE:$target" >/dev/null 2>&1; then
  echo "The image $IMAGE:$target is not on this machine (deploy.sh keeps the last few)." >&2
  echo "Rebuild it: git checkout $target && SKIP_PULL=1 deploy/deploy.sh" >&2
  exit 2
fi
echo "=== Teliporter rollback: ${current:-unknown} -> $target ==="

if [[ -n "$downgrade" ]]; then
  echo "1. Reversing migrations to $downgrade (with the current image ${current:-latest})..."
  TELIPORTER_TAG="${current:-latest}" "${COMPOSE[@]}" run --rm backend alembic downgrade "$downgrade"
fi

echo "2. Restoring the SPA build of $target..."
restore_dist "$target" "$current" "$STATE"

echo "3. Restarting services on $IMAGE:$target..."
TELIPORTER_TAG="$target" "${COMPOSE[@]}" up -d --no-build --remove-orphans

echo "4. Checking health ($HEALTH_URL)..."
echo "$target" >"$STATE/current"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $target rollback" >>"$STATE/history"
healthy
echo "=== Rollback complete: $target ==="
