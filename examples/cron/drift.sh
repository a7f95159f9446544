#!/usr/bin/env bash
# Drift detection for cron: exit 0 in sync (silent), 2 drift found, 1 error.
# Example crontab line (every hour; cron mails whatever is printed):
#   0 * * * *  cd /srv/headcount-config && git pull -q && ./drift.sh
#
# Credentials come from the environment (or from { file: PATH } references in the file):
#   THULIUM_API_USER, THULIUM_API_PASSWORD, CCP_API_KEY, DNL_ADMIN_PASSWORD
set -u

FILE=${HEADCOUNT_FILE:-headcount.yaml}
REPORT=${DRIFT_REPORT:-drift.json}

# One read of the providers; the stable JSON report is kept for tooling.
headcount drift -f "$FILE" --format json --output "$REPORT"
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
