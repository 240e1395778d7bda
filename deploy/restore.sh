#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Teliporter: load a backup made by deploy/backup.sh (or a plain pg_dump .sql) with psql.
#
#   deploy/restore.sh [--force] [--verbose] [--env-file FILE] BACKUP [DATABASE_URL]
#
# DATABASE_URL: the argument, else $DATABASE_URL, else the one in backend/.env (--env-file);
# its sslmode and sslrootcert (e.g. ?sslmode=verify-full&sslrootcert=/path/ca.crt) are used.
# Refuses a database that already has tables unless --force, which first drops the public
# schema (every table in it) and creates it again: the role of DATABASE_URL must own the
# database (on DigitalOcean: DEPLOY.md's ALTER DATABASE ... OWNER TO). All of it runs in one
# transaction: a restore that fails leaves the database as it was. PostgreSQL's NOTICE lines
# (such as "drop cascades to N other objects") are shown only with --verbose; warnings and errors
# always are. Stop the app first (DEPLOY.md, "Restore a backup").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
source "$ROOT/deploy/lib.sh"

env_file="$ROOT/backend/.env" force=0 verbose=0 backup="" url=""
while (($#)); do
  case "$1" in
    --force) force=1; shift ;;
    --verbose) verbose=1; shift ;;
    --env-file) env_file="${2:?--env-file needs a file}"; shift 2 ;;
    -h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) if [[ -z "$backup" ]]; then backup="$1"; else url="$1"; fi; shift ;;
  esac
done
[[ -n "$backup" ]] || { echo "usage: deploy/restore.sh [--force] [--verbose] [--env-file FILE] BACKUP [DATABASE_URL]" >&2; exit 2; }
[[ -f "$backup" ]] || { echo "No such backup: $backup" >&2; exit 2; }

url="$(database_url "$url" "$env_file")"
[[ -n "$url" ]] || { echo "No DATABASE_URL: pass one, export it, or set it in $env_file" >&2; exit 2; }
export_pg_env "$url"
if ((verbose == 0)); then
  export PGOPTIONS="${PGOPTIONS:+$PGOPTIONS }-c client_min_messages=warning"
fi

case "$backup" in
  *.gz) reader=(gzip -dc "$backup") ;;
  *) reader=(cat "$backup") ;;
esac
"${reader[@]}" | tail -n 5 | grep -q "PostgreSQL database dump complete" \
  || { echo "$backup is not a complete pg_dump file" >&2; exit 2; }

tables="$(psql -X -v ON_ERROR_STOP=1 -tAc \
  "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
prelude=""
if ((tables > 0)); then
  if ((force == 0)); then
    echo "Refusing: $PGDATABASE on ${PGHOST:-local socket} already has $tables tables." >&2
    echo "Restore into an empty database, or pass --force to replace everything in it." >&2
    exit 3
  fi
  echo "--force: dropping the $tables tables of $PGDATABASE first"
  prelude="DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
fi

echo "Restoring $backup into $PGDATABASE on ${PGHOST:-local socket}"
{ printf '%s\n' "$prelude"; "${reader[@]}"; } \
  | psql -X -q -v ON_ERROR_STOP=1 --single-transaction >/dev/null
echo "Done: $(psql -X -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") tables"
