#!/bin/bash
# Container health check: asks GET /readyz of the sillage in this container
# and succeeds on 200 only. Plain bash (/dev/tcp), so the image needs no curl.
# The port comes from SILLAGE_LISTEN (host:port), 8080 by default.
set -u
listen="${SILLAGE_LISTEN:-0.0.0.0:8080}"
port="${listen##*:}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || { echo "readyz: nothing listens on port ${port}" >&2; exit 1; }
printf 'GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
status=""
IFS= read -r -t 5 status <&3
exec 3<&-
case "${status}" in
"HTTP/1."?" 200"*) exit 0 ;;
esac
echo "readyz: ${status:-no answer}" >&2
exit 1
