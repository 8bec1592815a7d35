#!/usr/bin/env bash
# Regenerates go.mod for the Kubernetes wrapper module from the release's own go.mod:
# k8s.io/kubernetes replaces its staging modules with local folders, so a wrapper must
# replace each of them with the published v0.X.Y module instead.
set -euo pipefail
version=${1:?usage: gen-go-mod.sh v1.X.Y}
cd "$(dirname "$0")"
upstream=$(curl -fsS "${GOPROXY_URL:-https://proxy.golang.org}/k8s.io/kubernetes/@v/${version}.mod")
staging_version="v0.${version#v1.}"
{
  echo "module vaultgate.dev/testenv/kube"
  echo
  echo "$upstream" | grep -E '^go [0-9]'
  echo
  echo "$upstream" | grep -E '^godebug ' || true
  echo
  echo "require k8s.io/kubernetes ${version}"
  echo
  echo "replace ("
  echo "$upstream" | sed -n '/^replace (/,/^)/p' | grep -oE 'k8s.io/[a-z0-9-]+ => \./staging' \
    | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
rm -f go.sum
go get -tool k8s.io/kubernetes/cmd/kube-apiserver@"$version" k8s.io/kubernetes/cmd/kube-controller-manager@"$version" k8s.io/kubernetes/cmd/kubectl@"$version"
go mod tidy
