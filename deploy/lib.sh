# Shared by deploy.sh and rollback.sh (sourced, not run).
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this

IMAGE="teliporter-backend"
COMPOSE=(docker compose -f docker-compose.prod.yml)
HEALTH_URL="${HEALTH_URL:-http://127.0.0.1:8000/api/v1/health}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-120}"
HEALTH_INTERVAL="${HEALTH_INTERVAL:-3}"

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

# Puts the SPA build kept for release $1 in frontend/dist, keeping the live one for release $2.
restore_dist() {
  local wanted="$1" live="$2" state="$3"
  [[ -d "$state/dist-$wanted" ]] || { echo "   no kept SPA build for $wanted; frontend/dist stays" >&2; return 0; }
  if [[ -n "$live" && -d frontend/dist ]]; then
    rm -rf "$state/dist-$live"
    cp -a frontend/dist "$state/dist-$live"
  fi
  rm -rf frontend/dist.rollback
  cp -a "$state/dist-$wanted" frontend/dist.rollback
  rm -rf frontend/dist
  mv frontend/dist.rollback frontend/dist
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
