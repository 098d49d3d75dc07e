#!/usr/bin/env bash
# kubesim as a process of its own on SCENARIO (`demo` or a scenario file), and a portal watching it
# through the kubeconfig it writes, both under DIR: what the live and wide fleets of the browser
# tests run. Run from the workspace root; PORT and ADMIN_PORT choose the ports.
set -euo pipefail
dir=${DIR:?}
mkdir -p "$dir"
rm -rf "$dir/history"
rm -f "$dir/kubeconfig"
./target/release/kubesim serve --scenario "${SCENARIO:?}" --kubeconfig-out "$dir/kubeconfig" --admin-port "${ADMIN_PORT:?}" >"$dir/kubesim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 200); do
  [ -s "$dir/kubeconfig" ] && break
  sleep 0.1
done
[ -s "$dir/kubeconfig" ] || { echo "kubesim did not start: $(cat "$dir/kubesim.log")" >&2; exit 1; }
./target/release/wayfinder --listen "127.0.0.1:${PORT:?}" --catalog examples/catalog --kubeconfig "$dir/kubeconfig" --data-dir "$dir/history"
