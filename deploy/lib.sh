# Shared by the deploy/*.sh scripts (sourced, not run; ROOT set first: the checkout).
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this

IMAGE="teliporter-backend"
COMPOSE_FILE="docker-compose.prod.yml"
STATE="$ROOT/.deploy"
HEALTH_URL="${HEALTH_URL:-http://127.0.0.1:8000/api/v1/health}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-120}"
HEALTH_INTERVAL="${HEALTH_INTERVAL:-3}"
NGINX_RELOAD_CMD="${NGINX_RELOAD_CMD:-sudo nginx -t && sudo systemctl reload nginx}"
# An extra compose file given relative to where the script was started from.
COMPOSE_OVERRIDE=""
if [[ -n "${TELIPORTER_COMPOSE_OVERRIDE:-}" ]]; then
  COMPOSE_OVERRIDE="$(realpath -m -- "$TELIPORTER_COMPOSE_OVERRIDE")"
fi

# The top-level `name:` of a compose file, or nothing.
compose_name() {
  [[ -f "$1" ]] || return 0
  sed -n -E 's/^name:[[:space:]]*["'\'']?([A-Za-z0-9_-]+).*/\1/p' "$1" | head -n 1
}

# The compose project, the same whichever release's compose file runs: COMPOSE_PROJECT_NAME,
# else the `name:` of the override, else of the checkout's compose file, else "teliporter".
compose_project() {
  local name="${COMPOSE_PROJECT_NAME:-}"
  [[ -n "$name" || -z "$COMPOSE_OVERRIDE" ]] || name="$(compose_name "$COMPOSE_OVERRIDE")"
  [[ -n "$name" ]] || name="$(compose_name "$ROOT/$COMPOSE_FILE")"
  printf '%s' "${name:-teliporter}"
}

# Every docker compose call: `compose FILE ARGS...`. Relative paths in FILE (./backend,
# ./backend/.env) are the checkout's, wherever FILE is kept; TELIPORTER_COMPOSE_OVERRIDE, if
# set, is merged over it.
compose() {
  local file="$1"
  shift
  local files=(-f "$file")
  if [[ -n "$COMPOSE_OVERRIDE" ]]; then files+=(-f "$COMPOSE_OVERRIDE"); fi
  docker compose --project-directory "$ROOT" -p "$(compose_project)" "${files[@]}" "$@"
}

# The compose file release $1 was deployed with (kept by deploy.sh), else the checkout's.
release_compose() {
  local kept="$STATE/releases/$1/$COMPOSE_FILE"
  if [[ -f "$kept" ]]; then
    printf '%s' "$kept"
  else
    echo "   no compose file kept for $1: using the checkout's $COMPOSE_FILE" >&2
    printf '%s' "$ROOT/$COMPOSE_FILE"
  fi
}

# Waits until the API says {"status":"ok", ...} (database, Redis and a live Celery worker).
healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT)) body=""
  while ((SECONDS < deadline)); do
    body="$(curl -fsS --max-time 5 "$HEALTH_URL" 2>/dev/null || true)"
    if [[ "$body" == *'"status":"ok"'* ]]; then
      echo "   healthy: $body"
      return 0
    fi
    sleep "$HEALTH_INTERVAL"
  done
  echo "   not healthy after ${HEALTH_TIMEOUT}s; last answer: ${body:-none}" >&2
  return 1
}

# --- .deploy/history: one line per event, newest last, `<UTC time> <tag> <outcome> [<step>]`:
#   deployed   deploy.sh started the release's containers (its health not known yet)
#   healthy    its health check passed (after a deploy or a rollback)
#   failed     a step failed: build, migrate, restart or health (the step is the 4th field)
#   rollback   rollback.sh started the release's containers again
# A release's outcome is its latest healthy or failed line. Lines of the older format
# (`<time> <tag>`, no outcome) count as deployed and healthy.

# Appends an event to the history: `record TAG OUTCOME [STEP]`.
record() {
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $1 $2${3:+ $3}" >>"$STATE/history"
}

# One line per release, in order of first appearance: `tag deployed_at_line healthy_at_line
# outcome last_time` (0 for never; outcome healthy, failed or unknown).
release_table() {
  [[ -f "$STATE/history" ]] || return 0
  awk 'NF >= 2 {
      tag = $2; st = (NF == 2 ? "legacy" : $3)
      if (!(tag in seen)) { seen[tag] = 1; order[++n] = tag }
      last[tag] = $1
      if (st == "deployed" || st == "legacy") dep[tag] = NR
      if (st == "healthy" || st == "legacy") { verdict[tag] = "healthy"; ok[tag] = NR }
      if (st == "failed") verdict[tag] = "failed"
    }
    END { for (i = 1; i <= n; i++) { t = order[i]
      print t, dep[t] + 0, ok[t] + 0, (t in verdict ? verdict[t] : "unknown"), last[t] } }' \
    "$STATE/history"
}

# The release to go back to from $1: the newest healthy one deployed before it (so a second
# rollback goes further back, not forward to the release just left), or nothing.
rollback_target() {
  release_table | awk -v cur="$1" '
    { tag[NR] = $1; dep[NR] = $2; verdict[NR] = $4; if ($1 == cur) curdep = $2 }
    END { best = ""; bestdep = -1
      for (i = 1; i <= NR; i++)
        if (tag[i] != cur && verdict[i] == "healthy" && (curdep == 0 || dep[i] < curdep) \
            && dep[i] > bestdep) { best = tag[i]; bestdep = dep[i] }
      if (best != "") print best }'
}

# The releases pruning keeps: the newest $1 healthy ones (latest healthy line first), and $2.
kept_releases() {
  release_table | awk '$4 == "healthy" { print $3, $1 }' | sort -rn | head -n "$1" | cut -d' ' -f2
  [[ -z "$2" ]] || printf '%s\n' "$2"
}

# --- The SPA: each release's build is kept in .deploy/spa/<tag>; frontend/dist (nginx's root)
# is a symlink to the live one, replaced by a rename so nginx always finds an index.html.

# The folder frontend/dist points at (its name in .deploy/spa), or nothing.
live_spa() {
  if [[ -L "$ROOT/frontend/dist" ]]; then basename "$(readlink "$ROOT/frontend/dist")"; fi
}

# Points frontend/dist at .deploy/spa/$1, in one rename.
point_dist() {
  ln -sfn "../.deploy/spa/$1" "$ROOT/frontend/.dist.swap"
  mv -T "$ROOT/frontend/.dist.swap" "$ROOT/frontend/dist"
}

# Once, after upgrading from the scripts that rebuilt frontend/dist in place: the live build
# moves to .deploy/spa/<$1, the live release, or "initial"> and frontend/dist becomes a symlink
# to it (two renames back to back), and the builds kept as .deploy/dist-<tag> move to spa/<tag>.
adopt_spa_layout() {
  local name="${1:-initial}" old
  mkdir -p "$STATE/spa"
  if [[ -d "$ROOT/frontend/dist" && ! -L "$ROOT/frontend/dist" ]]; then
    echo "   moving frontend/dist to .deploy/spa/$name (frontend/dist becomes a symlink to it)"
    rm -rf "${STATE:?}/spa/$name"
    ln -sfn "../.deploy/spa/$name" "$ROOT/frontend/.dist.swap"
    mv "$ROOT/frontend/dist" "$STATE/spa/$name"
    mv -T "$ROOT/frontend/.dist.swap" "$ROOT/frontend/dist"
  fi
  for old in "$STATE"/dist-*; do
    [[ -d "$old" ]] || continue
    if [[ -e "$STATE/spa/${old##*/dist-}" ]]; then rm -rf "$old"; else mv "$old" "$STATE/spa/${old##*/dist-}"; fi
  done
}

# Makes the build in .deploy/spa/$2 (a temporary name) release $1's and the live one.
publish_spa() {
  local tag="$1" new="$2"
  if [[ -e "$STATE/spa/$tag" ]]; then
    if [[ "$(live_spa)" == "$tag" ]]; then
      # The same release again, live: the new build goes live first, then takes the name.
      point_dist "$new"
      rm -rf "${STATE:?}/spa/$tag"
      cp -a "$STATE/spa/$new" "$STATE/spa/$tag"
      point_dist "$tag"
      rm -rf "${STATE:?}/spa/$new"
      return 0
    fi
    rm -rf "${STATE:?}/spa/$tag"
  fi
  mv -T "$STATE/spa/$new" "$STATE/spa/$tag"
  point_dist "$tag"
}

# The value of KEY in an env file (the last one wins, quotes removed), or nothing.
env_file_value() {
  local key="$1" file="$2" line
  [[ -f "$file" ]] || return 0
  line="$(grep -E "^[[:space:]]*${key}=" "$file" | tail -n 1 || true)"
  line="${line#*=}"
  line="${line%$'\r'}"
  line="${line#\"}"; line="${line%\"}"
  line="${line#\'}"; line="${line%\'}"
  printf '%s' "$line"
}

# %XX escapes of a URL part decoded (a password may hold @, : or /); a backslash stays one.
urldecode() {
  local part="${1//\\/\\\\}"
  printf '%b' "${part//%/\\x}"
}

# Exports PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and PGSSLMODE, PGSSLROOTCERT) from a
# DATABASE_URL as the plan writes it (postgresql://user:password@host:port/db?sslmode=require;
# a +driver suffix is ignored). The password then never shows in `ps`, as a URL argument would.
export_pg_env() {
  local url="$1" re='^postgres(ql)?(\+[A-Za-z0-9]+)?://(([^:@/]*)(:([^@/]*))?@)?([^:/?]*)(:([0-9]+))?/([^?]+)(\?(.*))?$'
  if [[ ! "$url" =~ $re ]]; then
    echo "DATABASE_URL is not a postgresql:// URL: ${url%%@*}@..." >&2
    return 1
  fi
  local user="${BASH_REMATCH[4]}" password="${BASH_REMATCH[6]}" host="${BASH_REMATCH[7]}"
  local port="${BASH_REMATCH[9]}" db="${BASH_REMATCH[10]}" query="${BASH_REMATCH[12]}" pair
  unset PGHOST PGPORT PGUSER PGPASSWORD PGSSLMODE PGSSLROOTCERT
  if [[ -n "$host" ]]; then export PGHOST="$host"; fi
  if [[ -n "$port" ]]; then export PGPORT="$port"; fi
  if [[ -n "$user" ]]; then PGUSER="$(urldecode "$user")"; export PGUSER; fi
  if [[ -n "$password" ]]; then PGPASSWORD="$(urldecode "$password")"; export PGPASSWORD; fi
  PGDATABASE="$(urldecode "$db")"
  export PGDATABASE
  local IFS='&'
  for pair in $query; do
    case "$pair" in
      sslmode=*) PGSSLMODE="$(urldecode "${pair#*=}")"; export PGSSLMODE ;;
      sslrootcert=*) PGSSLROOTCERT="$(urldecode "${pair#*=}")"; export PGSSLROOTCERT ;;
    esac
  done
}

# DATABASE_URL from the argument, else the environment, else the env file.
database_url() {
  local given="$1" env_file="$2"
  if [[ -n "$given" ]]; then printf '%s' "$given"
  elif [[ -n "${DATABASE_URL:-}" ]]; then printf '%s' "$DATABASE_URL"
  else env_file_value DATABASE_URL "$env_file"
  fi
}
