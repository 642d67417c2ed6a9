#!/usr/bin/env bash
# Installs what the build needs from Debian 12's packages; with --test, also what the tests
# need; with --bench, what the benchmark needs. Installs only what is missing, non-interactively. Needs root (or sudo) to install.
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config prometheus-cpp-dev libmicrohttpd-dev libyaml-cpp-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev zlib1g-dev libnl-3-dev libnl-route-3-dev libnl-idiag-3-dev
  libre2-dev libgnutls28-dev nettle-dev libcrypt-dev libcap-ng-dev libpcap-dev libvirt-dev libpugixml-dev libcurl4-openssl-dev git)
# promtool comes with Debian's prometheus package; clang builds the sanitizer and fuzz targets.
TEST_PKGS=(libgtest-dev libgmock-dev prometheus clang openssl apache2-utils libclang-rt-14-dev curl iproute2 procps python3 util-linux
  qemu-system-x86 qemu-utils keepalived tcpdump libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  coreutils gawk prometheus-alertmanager chromium openvswitch-switch)

# The benchmark's anchors and driver.
BENCH_PKGS=(prometheus-node-exporter prometheus-process-exporter prometheus-libvirt-exporter python3 iproute2)

want=("${BUILD_PKGS[@]}")
case "${1:-}" in
  --test)
    want+=("${TEST_PKGS[@]}")
    # npm (test only: the dashboards' schema check): Debian's, unless a Node.js with its own npm
    # (e.g. NodeSource's nodejs, which conflicts with Debian's npm) is already there.
    command -v npm >/dev/null || want+=(npm)
    ;;
  --bench) want+=("${BENCH_PKGS[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=()
[[ $(id -u) -eq 0 ]] || SUDO=(sudo)
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Installing the prometheus and exporter packages must not start their services on the host:
# only their binaries are wanted. policy-rc.d tells invoke-rc.d and deb-systemd-invoke not to start services.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod 755 "$policy"
  added_policy=1
fi
cleanup() {
  if [[ $added_policy -eq 1 ]]; then "${SUDO[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
