#!/usr/bin/env bash
# Installs the Debian packages Rewind needs to build, test and run its demo.
# Idempotent: does nothing when everything is present. Needs root to install;
# as another user it only reports what is missing.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  protobuf-c-compiler libprotobuf-c-dev
  libnng-dev libmbedtls-dev
  libcurl4-openssl-dev libpq-dev libjansson-dev libcmocka-dev
  libmicrohttpd-dev libyaml-dev libarchive-dev
  docker-registry apache2-utils python3
  postgresql postgresql-client
  curl ca-certificates
  chromium clang libclang-rt-14-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kubectl: any kubectl will do (the SDK's dispatcher, or Debian's client).
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
