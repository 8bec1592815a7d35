#!/usr/bin/env bash
# Builds the real servers the tests and `make dev` run against (etcd, kube-apiserver,
# kube-controller-manager, kubectl, OpenBao, the External Secrets Operator controller) from
# the Go module proxy, through the wrapper modules beside this script, and extracts ESO's
# own CRDs from the same pinned module. Each component is cached in a directory keyed by
# the hash of its wrapper module, so changing one never rebuilds the others. Prints the
# directory holding every binary plus external-secrets-crds.yaml.
#
# VAULTGATE_TEST_BINARIES=/dir  use binaries already there instead (like KUBEBUILDER_ASSETS);
# ESO's CRDs still come from the pinned module.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
cache="$root/.cache/testbin"
binaries=(etcd kube-apiserver kube-controller-manager kubectl bao external-secrets)

hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# A component's directory: named by the hash of the files that define it.
component_dir() { # component, files that define it
  local name=$1; shift
  echo "$cache/$name-$(hash_of "$@")"
}

build() { # output dir, binary name, module dir, then the go build arguments
  local out=$1 name=$2 dir=$3; shift 3
  if [[ -x "$out/$name" ]]; then return; fi
  mkdir -p "$out"
  echo "building $name (first time only; takes minutes)" >&2
  local started=$SECONDS
  (cd "$dir" && go build -trimpath "$@") >&2
  echo "built $name in $((SECONDS - started))s" >&2
}

# ESO's module: downloaded (and checked against test/env/eso/go.sum) into the module cache.
eso_module_dir() {
  (cd "$here/eso" && go mod download -json github.com/external-secrets/external-secrets) |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

kube_out=$(component_dir kube "$here/kube/go.mod" "$here/kube/go.sum")
etcd_out=$(component_dir etcd "$here/etcd/go.mod" "$here/etcd/go.sum")
bao_out=$(component_dir openbao "$here/openbao/go.mod" "$here/openbao/go.sum")
eso_out=$(component_dir eso "$here/eso/go.mod" "$here/eso/go.sum" "$here"/eso/overlay/*.go)

eso_dir=$(eso_module_dir)
[[ -n "$eso_dir" && -f "$eso_dir/deploy/crds/bundle.yaml" ]] || { echo "ESO module not found in the module cache" >&2; exit 1; }

if [[ -z "${VAULTGATE_TEST_BINARIES:-}" ]]; then
  kube_version=$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9.]*\).*/\1/p' "$here/kube/go.mod")
  kube_minor=$(echo "$kube_version" | cut -d. -f2)
  ver=k8s.io/component-base/version
  kube_ldflags="-s -w -X $ver.gitVersion=$kube_version -X $ver.gitMajor=1 -X $ver.gitMinor=$kube_minor -X $ver.gitTreeState=clean"

  # One go build for the three Kubernetes commands shares their compiled packages.
  if [[ ! -x "$kube_out/kube-apiserver" || ! -x "$kube_out/kube-controller-manager" || ! -x "$kube_out/kubectl" ]]; then
    rm -f "$kube_out/kube-apiserver" "$kube_out/kube-controller-manager" "$kube_out/kubectl"
    build "$kube_out" kube-apiserver "$here/kube" -ldflags "$kube_ldflags" -o "$kube_out/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
  fi
  build "$etcd_out" etcd "$here/etcd" -ldflags "-s -w" -o "$etcd_out/etcd" go.etcd.io/etcd/server/v3
  build "$bao_out" bao "$here/openbao" -ldflags "-s -w" -o "$bao_out/bao" github.com/openbao/openbao

  # ESO builds as a main module from its own root (its go.mod has a replace directive, so
  # `go install` refuses it). Go refuses overlays of files in the module cache, so a copy of
  # the module (checked against test/env/eso/go.sum on download) is built, with the provider
  # and generator registries cut down to Vault.
  if [[ ! -x "$eso_out/external-secrets" ]]; then
    src="$eso_out/src"
    rm -rf "$src" && mkdir -p "$src"
    (cd "$eso_dir" && tar --exclude=./docs -cf - .) | tar -xf - -C "$src"
    chmod -R u+w "$src"
    cp "$here/eso/overlay/provider-register.go" "$src/pkg/provider/register/register.go"
    cp "$here/eso/overlay/generator-register.go" "$src/pkg/generator/register/register.go"
    build "$eso_out" external-secrets "$src" -ldflags "-s -w" -o "$eso_out/external-secrets" .
    rm -rf "$src"
  fi
  sources=("$kube_out/kube-apiserver" "$kube_out/kube-controller-manager" "$kube_out/kubectl" "$etcd_out/etcd" "$bao_out/bao" "$eso_out/external-secrets")
else
  sources=()
  for b in "${binaries[@]}"; do
    [[ -x "$VAULTGATE_TEST_BINARIES/$b" ]] || { echo "VAULTGATE_TEST_BINARIES: $b missing in $VAULTGATE_TEST_BINARIES" >&2; exit 1; }
    sources+=("$VAULTGATE_TEST_BINARIES/$b")
  done
fi

# One directory with every binary (symlinks) and ESO's CRDs, keyed by what it links to.
out="$cache/bin-$(printf '%s\n' "${sources[@]}" "$eso_dir" | sha256sum | cut -c1-16)"
mkdir -p "$out"
for source in "${sources[@]}"; do ln -sfn "$source" "$out/$(basename "$source")"; done
cp -f "$eso_dir/deploy/crds/bundle.yaml" "$out/external-secrets-crds.yaml"
chmod u+w "$out/external-secrets-crds.yaml"
echo "$out"
