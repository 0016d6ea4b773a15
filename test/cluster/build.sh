#!/usr/bin/env bash
# Builds the cluster tests' control plane from Go modules (server/go.mod pins the release):
# kube-apiserver, etcd and kubectl into test/cluster/bin/ (ignored by git). Nothing is
# downloaded but Go modules. Skips the build when every binary is newer than the module's
# files; otherwise `go build` recompiles only what changed (seconds with a warm Go cache,
# tens of minutes cold on two cores: see README, "Cluster tests").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/server"
bin="$here/bin"
binaries=(kube-apiserver etcd kubectl)

if ! command -v go >/dev/null 2>&1; then
  echo "test/cluster/build.sh: the Go toolchain (go $(sed -n 's/^go //p' "$src/go.mod") or newer) is not on PATH;" >&2
  echo "  it builds kube-apiserver, etcd and kubectl for npm run test:cluster. Without Go, run npm test alone." >&2
  exit 1
fi

up_to_date=true
for name in "${binaries[@]}"; do
  target="$bin/$name"
  if [[ ! -x "$target" ]] || [[ -n "$(find "$src" -type f -newer "$target" -print -quit)" ]]; then
    up_to_date=false
  fi
done
if $up_to_date; then
  echo "test/cluster/build.sh: ${binaries[*]} are up to date in $bin"
  exit 0
fi

mkdir -p "$bin"
started=$SECONDS
cd "$src"
# -mod=readonly: go.mod and go.sum are committed and complete; a build never rewrites them.
GOFLAGS=-mod=readonly go build -trimpath -ldflags='-s -w' -o "$bin/" ./kube-apiserver ./etcd ./kubectl
# go build leaves an up-to-date binary untouched; touch them so the check above sees them new.
for name in "${binaries[@]}"; do touch "$bin/$name"; done
echo "test/cluster/build.sh: built ${binaries[*]} in $((SECONDS - started)) s into $bin"
