#!/usr/bin/env bash
# Builds the real servers the tests and `make dev` run against (etcd, kube-apiserver,
# kube-controller-manager, kubectl, OpenBao) from the Go module proxy, through the wrapper
# modules beside this script. Output goes to a cache directory keyed by the wrapper go.sum
# hashes, so an unchanged wrapper is never rebuilt. Prints the binary directory.
#
# VAULTGATE_TEST_BINARIES=/dir  use binaries already there instead (like KUBEBUILDER_ASSETS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

if [[ -n "${VAULTGATE_TEST_BINARIES:-}" ]]; then
  for b in etcd kube-apiserver kube-controller-manager kubectl bao; do
    [[ -x "$VAULTGATE_TEST_BINARIES/$b" ]] || { echo "VAULTGATE_TEST_BINARIES: $b missing in $VAULTGATE_TEST_BINARIES" >&2; exit 1; }
  done
  echo "$VAULTGATE_TEST_BINARIES"
  exit 0
fi

key=$(cat "$here"/kube/go.sum "$here"/etcd/go.sum "$here"/openbao/go.sum "$here"/openbao/go.mod "$here"/kube/go.mod "$0" | sha256sum | cut -c1-16)
out="$root/.cache/testbin/$key"
mkdir -p "$out"

build() { # name, module dir, then the go build arguments
  local name=$1 dir=$2; shift 2
  if [[ -x "$out/$name" ]]; then return; fi
  echo "building $name (first time only; takes minutes)" >&2
  (cd "$here/$dir" && go build -trimpath "$@") >&2
}

kube_version=$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9.]*\).*/\1/p' "$here/kube/go.mod")
kube_minor=$(echo "$kube_version" | cut -d. -f2)
ver=k8s.io/component-base/version
kube_ldflags="-s -w -X $ver.gitVersion=$kube_version -X $ver.gitMajor=1 -X $ver.gitMinor=$kube_minor -X $ver.gitTreeState=clean"

# One go build for the three Kubernetes commands shares their compiled packages.
if [[ ! -x "$out/kube-apiserver" || ! -x "$out/kube-controller-manager" || ! -x "$out/kubectl" ]]; then
  rm -f "$out/kube-apiserver" "$out/kube-controller-manager" "$out/kubectl"
  build kube-apiserver kube -ldflags "$kube_ldflags" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
fi
build etcd etcd -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
build bao openbao -ldflags "-s -w" -o "$out/bao" github.com/openbao/openbao
echo "$out"
