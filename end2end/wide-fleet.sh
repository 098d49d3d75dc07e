#!/usr/bin/env bash
# A service ("fleet") running 300 pods in 12 clusters across 3 regions, 4 of them failing to pull their image
# (its worker in wide-02 and wide-07), on kubesim as its own process, and a portal watching it: for
# the browser test that the Clusters tab's map shows it all on one screen. Run from the workspace
# root; PORT and ADMIN_PORT choose the ports.
set -euo pipefail
dir=end2end/output/wide
mkdir -p "$dir"
regions=(eu-west-1 us-east-1 ap-southeast-1)
deployment() { # name replicas fault
  cat <<EOF
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: $1, namespace: fleet, labels: {backstage.io/kubernetes-id: fleet, app.kubernetes.io/name: $1}}
        spec:
          replicas: $2
          selector: {matchLabels: {app.kubernetes.io/name: $1}}
          template:
            metadata: {labels: {backstage.io/kubernetes-id: fleet, app.kubernetes.io/name: $1}, annotations: {kubesim.io/fault: "$3"}}
            spec: {containers: [{name: app, image: "registry.example.com/fleet/$1:2.4.0"}]}
EOF
}
{
  echo "clusters:"
  for i in $(seq 1 12); do
    region=${regions[$(((i - 1) / 4))]}
    cat <<EOF
  - name: wide-$(printf %02d "$i")
    region: $region
    environment: production
    objects:
      - {apiVersion: v1, kind: Namespace, metadata: {name: fleet}, status: {phase: Active}}
      - {apiVersion: v1, kind: Node, metadata: {name: node-$i, labels: {topology.kubernetes.io/region: $region}}, status: {conditions: [{type: Ready, status: "True"}]}}
EOF
    if [ "$i" = 2 ] || [ "$i" = 7 ]; then
      deployment fleet-api 23 ""
      deployment fleet-worker 2 image-pull
    else
      deployment fleet-api 25 ""
    fi
  done
} >"$dir/scenario.yaml"
DIR=$dir SCENARIO=$dir/scenario.yaml PORT=${PORT:-3104} ADMIN_PORT=${ADMIN_PORT:-3191} exec end2end/sim-and-portal.sh
