#!/usr/bin/env bash
# Drift detection for cron: exit 0 in sync (silent), 2 drift found, 1 error.
#
# cron runs with a minimal PATH and none of your shell's variables, so this
# script reads an env file first (default /etc/headcount/drift.env; copy
# examples/cron/drift.env there, `chmod 600` it, and fill it in).
#
# Example crontab line (every hour; cron mails whatever is printed):
#   0 * * * *  cd /srv/headcount-config && git pull -q && ./drift.sh
set -u

ENV_FILE=${HEADCOUNT_ENV_FILE:-/etc/headcount/drift.env}
if [ -r "$ENV_FILE" ]; then
  set -a          # export every variable the file sets
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
else
  echo "headcount drift: cannot read $ENV_FILE (PATH and credentials for cron); see examples/cron/drift.env" >&2
  exit 1
fi

FILE=${HEADCOUNT_FILE:-headcount.yaml}
REPORT=${DRIFT_REPORT:-drift.json}

# One read of the providers; the stable JSON report is kept for tooling.
headcount drift -f "$FILE" --format json --out "$REPORT"
code=$?

case $code in
  0) exit 0 ;;                                   # in sync: say nothing
  2)
    echo "headcount: accounts changed outside $FILE ($(date -u +%FT%TZ)); report in $REPORT"
    # Hook your alerting here, e.g.:
    # curl -fsS -X POST -H 'Content-Type: application/json' --data @"$REPORT" "$ALERT_WEBHOOK_URL"
    exit 2 ;;
  *)
    echo "headcount drift failed (exit $code); see the message above" >&2
    exit 1 ;;
esac
