#!/bin/bash
# Scratch (RSS experiments): a stand-in for the workerd binary that Miniflare runs
# (MINIFLARE_WORKERD_PATH=bench/soak/workerd-v8flags.sh). Miniflare 4.20260426 never fills the
# config's v8Flags; this adds the comma-separated flags in WORKERD_V8_FLAGS to the binary config
# Miniflare sends on stdin, then execs the real workerd (same pid) on the patched config.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
real="$(node -e 'import("workerd").then(m => console.log(m.default.default ?? m.default))')"
if [ "${!#}" != "-" ] || [ -z "${WORKERD_V8_FLAGS:-}" ]; then exec "$real" "$@"; fi
tmp="$(mktemp /tmp/rss-workerd-config.XXXXXX)"
IFS=, read -r -a flags <<< "$WORKERD_V8_FLAGS"
node "$here/capnp-v8flags.mjs" "${flags[@]}" > "$tmp"
exec 0<"$tmp"
rm -f "$tmp"
exec "$real" "$@"
