#!/usr/bin/env bash
# kubesim's demo fleet as a process of its own, and a portal watching it through the kubeconfig it
# writes: for the browser tests that change a cluster with kubectl or take one down through kubesim's
# admin API. Run from the workspace root; PORT and ADMIN_PORT choose the ports.
set -euo pipefail
dir=end2end/output/live
mkdir -p "$dir"
rm -rf "$dir/history"
rm -f "$dir/kubeconfig"
./target/release/kubesim serve --scenario demo --kubeconfig-out "$dir/kubeconfig" --admin-port "${ADMIN_PORT:-3190}" >"$dir/kubesim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 200); do
  [ -s "$dir/kubeconfig" ] && break
  sleep 0.1
done
[ -s "$dir/kubeconfig" ] || { echo "kubesim did not start: $(cat "$dir/kubesim.log")" >&2; exit 1; }
./target/release/wayfinder --listen "127.0.0.1:${PORT:-3102}" --catalog examples/catalog --kubeconfig "$dir/kubeconfig" --data-dir "$dir/history"
