#!/usr/bin/env bash
# Starts the backend for the end-to-end tests: a fresh SQLite database in a temporary folder,
# migrated with Alembic, two Celery workers (default and backfill queues), a local SMTP listener
# (read through the dev mailbox), uvicorn serving the API and frontend/dist, and the Square
# simulator (OAuth pages and API) on a free port, which the backend is pointed at.
set -euo pipefail
port="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$root/.venv/bin"
tmp="$(mktemp -d -t teliporter-e2e-XXXXXX)"
[ -f "$here/dist/index.html" ] || { echo "frontend/dist is missing: run npm run build first" >&2; exit 1; }

export TELIPORTER_ENV_FILE=""
export DEBUG=false
export LOG_LEVEL=WARNING
export DATABASE_URL="sqlite:///$tmp/app.sqlite3"
export CELERY_BROKER_URL="sqla+sqlite:///$tmp/broker.sqlite3"
export CELERY_RESULT_BACKEND="db+sqlite:///$tmp/results.sqlite3"
export SECRET_KEY="$("$venv/python" -c 'import secrets; print(secrets.token_hex(32))')"
export ENCRYPTION_KEY="$("$venv/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
export ACCESS_TOKEN_EXPIRE_MINUTES=1
export ALLOW_REGISTRATION=true
# Every test signs in from 127.0.0.1: the per-address throttle must not trip over the suite.
export LOGIN_MAX_FAILURES_PER_ADDRESS=1000 REGISTER_MAX_PER_ADDRESS=1000
export PASSWORD_HASH_TIME_COST=1 PASSWORD_HASH_MEMORY_KIB=1024

# Square is the simulator: a small seeded account (2 stores, ~18 days of sales) and an OAuth
# application whose redirect URI is this server's callback.
app_base="http://127.0.0.1:$port"
sim_port="$("$venv/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export SQUARE_ENVIRONMENT=simulator
export SQUARE_API_BASE_URL="http://127.0.0.1:$sim_port"
export SQUARE_APPLICATION_ID="sq0idp-teliporter-e2e"
export SQUARE_APPLICATION_SECRET="sq0csp-teliporter-e2e-secret"
export SQUARE_REDIRECT_URI="$app_base/api/v1/square/callback"

# Mail goes to the local SMTP listener, read back through the owner's dev mailbox.
mail_port="$("$venv/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export SMTP_URL="smtp://127.0.0.1:$mail_port" LOCAL_MAILBOX_DIR="$tmp/mail" APP_BASE_URL="$app_base"
export MAIL_RETRY_BASE_SECONDS=1

cd "$root/backend"
"$venv/alembic" upgrade head >"$tmp/migrate.log" 2>&1
"$venv/python" -m app.mail.localserver --port "$mail_port" --dir "$LOCAL_MAILBOX_DIR" \
  >"$tmp/mail.log" 2>&1 &
mailer=$!
"$venv/python" -m square_simulator serve --port "$sim_port" --seed 42 --years 0.05 --accounts 2 \
  --locations 2 --app "$SQUARE_APPLICATION_ID:$SQUARE_APPLICATION_SECRET:$SQUARE_REDIRECT_URI" \
  >"$tmp/simulator.log" 2>&1 &
simulator=$!
# Two workers, as in production: the default queue, and the backfill queue (first syncs). The
# specs run two at a time, each connecting its own account: room for two first syncs at once,
# each a run and one helper.
"$venv/celery" -A app.celery_app:celery_app worker --pool=threads --concurrency=2 --loglevel=warning \
  --queues celery --hostname "e2e-worker-$port@%h" >"$tmp/worker.log" 2>&1 &
worker=$!
SYNC_BACKFILL_WORKERS=2 "$venv/celery" -A app.celery_app:celery_app worker --pool=threads \
  --concurrency=4 --loglevel=warning --queues backfill --hostname "e2e-backfill-$port@%h" \
  >"$tmp/backfill.log" 2>&1 &
backfill=$!
# E2E_KEEP_LOGS=1 keeps the temporary folder (database and the workers' and simulator's logs).
trap 'kill "$worker" "$backfill" "$simulator" "$mailer" 2>/dev/null || true; [ -n "${E2E_KEEP_LOGS:-}" ] && echo "e2e logs: $tmp" >&2 || rm -rf "$tmp"' EXIT
"$venv/uvicorn" app.main:app --host 127.0.0.1 --port "$port" --log-level warning
