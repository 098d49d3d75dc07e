#!/usr/bin/env bash
# kubesim's demo fleet as a process of its own, and a portal watching it through the kubeconfig it
# writes: for the browser tests that change a cluster with kubectl or take one down through kubesim's
# admin API. Run from the workspace root; PORT and ADMIN_PORT choose the ports.
set -euo pipefail
DIR=end2end/output/live SCENARIO=demo PORT=${PORT:-3102} ADMIN_PORT=${ADMIN_PORT:-3190} exec end2end/sim-and-portal.sh
