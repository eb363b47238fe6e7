#!/bin/sh
# Runs Verity's Node.js runtime (see scripts/runtime.sh) with Verity's flags and the given arguments.
root=$(dirname "$(dirname "$(readlink -f "$0")")")
. "$root/scripts/runtime.sh"
verity_runtime "$root"
# Node's on-disk compile cache: a `verity` process starts in about half the time once its modules
# were compiled (measured: 1.6 s to 0.7-0.9 s for `verity help`). Kept inside this checkout (never a
# shared temporary folder another user could write cached code into); where it cannot be written,
# Node runs without it.
# Not with secure boot (a release root key pinned): cached code is not covered by the release
# manifest, so the cache is off for that process even where the environment turned it on.
cache=yes
[ -n "${VERITY_RELEASE_ROOT:-}" ] && cache=no
for a in "$@"; do case $a in --release-root | --release-root=*) cache=no ;; esac; done
[ "$cache" = no ] && unset NODE_COMPILE_CACHE
if [ "$cache" = yes ] && [ -z "${NODE_COMPILE_CACHE:-}" ] && [ -d "$root/node_modules" ]; then
  NODE_COMPILE_CACHE="$root/node_modules/.cache/verity-compile"
  export NODE_COMPILE_CACHE
fi
# A larger young generation: Verity allocates many short-lived buffers per request, and fewer
# scavenges measured about 5% more sealed writes per second (D12). No allocation-site pretenuring:
# objects that outlive a scavenge only because hundreds of requests are awaiting at once (a proof's
# nodes, a read's rows) made V8 allocate them straight in the old generation from then on, and
# full collections took a quarter of the CPU of proofs served afterwards (D336).
exec "$NODE" --max-semi-space-size=16 --no-allocation-site-pretenuring --disable-warning=ExperimentalWarning "$@"
