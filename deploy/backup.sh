#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Teliporter: dump the PostgreSQL database to a gzipped SQL file (pg_dump, as in the plan).
#
#   deploy/backup.sh [--env-file FILE] [--out DIR] [--keep N] [DATABASE_URL]
#
# DATABASE_URL: the argument, else $DATABASE_URL, else the one in backend/.env (--env-file);
# its sslmode and sslrootcert (e.g. ?sslmode=verify-full&sslrootcert=/path/ca.crt) are used.
# Writes DIR/backup_YYYYmmdd_HHMMSS.sql.gz (DIR default: backups/ in the checkout, i.e.
# /opt/teliporter/backups), completely or not at all, and keeps the newest N there (default
# 14; 0 keeps all). pg_dump must be as new as the server (PostgreSQL 15: see DEPLOY.md).
# Restore with deploy/restore.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
source "$ROOT/deploy/lib.sh"

env_file="$ROOT/backend/.env" out="$ROOT/backups" keep=14 url=""
while (($#)); do
  case "$1" in
    --env-file) env_file="${2:?--env-file needs a file}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --keep) keep="${2:?--keep needs a number}"; shift 2 ;;
    -h | --help) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) url="$1"; shift ;;
  esac
done
[[ "$keep" =~ ^[0-9]+$ ]] || { echo "--keep needs a number" >&2; exit 2; }

url="$(database_url "$url" "$env_file")"
[[ -n "$url" ]] || { echo "No DATABASE_URL: pass one, export it, or set it in $env_file" >&2; exit 2; }
export_pg_env "$url"

mkdir -p "$out"
umask 077  # a dump holds every customer's data
file="$out/backup_$(date -u +%Y%m%d_%H%M%S).sql.gz"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT
echo "Backing up $PGDATABASE on ${PGHOST:-local socket} to $file"
pg_dump --no-owner --no-privileges | gzip -c >"$partial"
# A dump that ends without pg_dump's closing line was cut short.
gzip -dc "$partial" | tail -n 5 | grep -q "PostgreSQL database dump complete" \
  || { echo "The dump is incomplete" >&2; exit 1; }
mv "$partial" "$file"
echo "Done: $(du -h "$file" | cut -f1)"

if ((keep > 0)); then
  find "$out" -maxdepth 1 -name 'backup_*.sql.gz' -type f -printf '%f\n' | sort -r \
    | tail -n +"$((keep + 1))" | while read -r old; do
      rm -f "$out/$old"
      echo "Removed old backup $old"
    done
fi
