#!/usr/bin/env bash
# Builds the operator's image with whichever builder this machine has (docker with a running
# engine, podman, or buildah), tagged with package.json's version:
#   IMAGE=ghcr.io/your-org/checkpoint-share-operator npm run image
# IMAGE defaults to checkpoint-share-operator, the name deploy/ uses. Pure bash on purpose: it
# needs nothing but the builder.
set -euo pipefail
root="${BASH_SOURCE[0]%/*}/.."
cd "$root"

version=''
while IFS= read -r line; do
  if [[ $line =~ ^[[:space:]]*\"version\":[[:space:]]*\"([^\"]+)\" ]]; then
    version="${BASH_REMATCH[1]}"
    break
  fi
done < package.json
if [[ -z $version ]]; then
  echo "build-image: no \"version\" in package.json" >&2
  exit 1
fi
image="${IMAGE:-checkpoint-share-operator}:$version"

builder=''
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  builder='docker'
elif command -v podman >/dev/null 2>&1; then
  builder='podman'
elif command -v buildah >/dev/null 2>&1; then
  builder='buildah'
fi

if [[ -z $builder ]]; then
  {
    echo "build-image: no image builder here: none of docker (with a running engine), podman or buildah."
    if command -v docker >/dev/null 2>&1; then
      echo "build-image: docker is installed but 'docker info' fails: its engine is not running or not reachable."
    fi
    echo "build-image: install one of them, or build the Dockerfile elsewhere and tag it $image."
  } >&2
  exit 1
fi

echo "build-image: $builder building $image"
case "$builder" in
  buildah) buildah bud --tag "$image" --file Dockerfile . ;;
  *) "$builder" build --tag "$image" --file Dockerfile . ;;
esac
echo "build-image: built $image; push it with: $builder push $image"
