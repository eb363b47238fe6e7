# Sourced by bin/verity and scripts/node.sh (POSIX sh): sets NODE to the Node.js runtime Verity
# runs on, or exits 2 saying how to get one. Verity needs Node.js 24 or newer (node:sqlite, type
# stripping). In order: $VERITY_NODE; the pinned runtime package for this platform when
# scripts/ensure-deps.mjs installed one (it does when npm's own Node.js is older, see runtime/);
# the `node` on PATH when it is new enough.
verity_runtime() {
  root=$1
  if [ -n "${VERITY_NODE:-}" ]; then NODE=$VERITY_NODE; return 0; fi
  case $(uname -s) in Linux) os=linux ;; Darwin) os=darwin ;; *) os=unknown ;; esac
  case $(uname -m) in x86_64 | amd64) cpu=x64 ;; aarch64 | arm64) cpu=arm64 ;; *) cpu=unknown ;; esac
  NODE="$root/runtime/node_modules/node-$os-$cpu/bin/node"
  [ -x "$NODE" ] && return 0
  # macOS on Apple silicon: the x64 runtime under Rosetta 2 (no arm64 package exists for Node.js 24).
  NODE="$root/runtime/node_modules/node-$os-x64/bin/node"
  [ "$os" = darwin ] && [ -x "$NODE" ] && return 0
  if command -v node >/dev/null 2>&1; then
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$major" -ge 24 ] 2>/dev/null; then NODE=$(command -v node); return 0; fi
  fi
  echo "verity: Node.js 24 or newer is needed; run \`npm start\` (or \`node scripts/ensure-deps.mjs\`) in $root to install the pinned runtime for $os-$cpu, or put Node.js 24 on PATH (or set VERITY_NODE)" >&2
  exit 2
}
