#!/bin/sh
# Called by Warden's exec action: appends the incident to a file a person reads (or replace with your own
# notifier). Warden passes WARDEN_ENGINE, WARDEN_COMPONENT, WARDEN_CHECK, WARDEN_LEVEL, WARDEN_VALUE,
# WARDEN_THRESHOLD, WARDEN_REASON, WARDEN_INCIDENT_ID and WARDEN_RUNG.
set -eu
printf '%s %s %s %s: %s\n' "$(date -u +%FT%TZ)" "$1" "$WARDEN_ENGINE" "$WARDEN_LEVEL" "$WARDEN_REASON" >> incidents.log
