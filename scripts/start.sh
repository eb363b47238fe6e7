#!/bin/sh
# `npm start`: runs Verity on the embedded default (SQLite) in .verity/data, creating it on first
# start. Without VERITY_PASSPHRASE / VERITY_PASSPHRASE_FILE / VERITY_KEY_FILE it generates a
# development passphrase file (mode 0600) and says so: set your own for anything real.
set -eu
root=$(dirname "$(dirname "$(readlink -f "$0")")")
data=${VERITY_DATA:-$root/.verity/data}
if [ -z "${VERITY_PASSPHRASE:-}" ] && [ -z "${VERITY_PASSPHRASE_FILE:-}" ] && [ -z "${VERITY_KEY_FILE:-}" ]; then
  pass="$root/.verity/dev-passphrase"
  if [ ! -f "$pass" ]; then
    # Owner-only whatever the umask: the directory holds the passphrase (and, by default, the data).
    (umask 077 && mkdir -p "$root/.verity" && chmod 700 "$root/.verity" &&
      head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$pass" && chmod 600 "$pass")
  fi
  echo "verity: using the development passphrase in .verity/dev-passphrase; set VERITY_PASSPHRASE for real data" >&2
  export VERITY_PASSPHRASE_FILE="$pass"
fi
exec "$root/bin/verity" start --data "$data" "$@"
