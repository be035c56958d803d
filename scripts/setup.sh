#!/usr/bin/env bash
# Installs what dmscd needs on Debian 12, idempotently, and reserves
# hugepages where the kernel allows. Safe to run again.
#   DPDK 22.11 runtime + headers + dpdk-testpmd (Debian: dpdk, libdpdk-dev, dpdk-dev),
#   clang/libclang for bindgen, libpcap for net_pcap and the traffic tool, iproute2 for namespaces,
#   protoc (protobuf-compiler) for the gRPC management API (tonic-build).
set -euo pipefail

PKGS=(dpdk dpdk-dev libdpdk-dev clang libclang-dev pkg-config libpcap-dev iproute2 build-essential protobuf-compiler)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
pkg-config --exists libdpdk || { echo "setup: libdpdk not found by pkg-config" >&2; exit 1; }

if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust with rustup (stable)" >&2; exit 1; }

# Hugepages (2 MiB): best effort. Everything also runs with --no-huge.
want=${DMSC_HUGEPAGES:-256}
if [ -w /proc/sys/vm/nr_hugepages ]; then
  have=$(cat /proc/sys/vm/nr_hugepages)
  if [ "$have" -lt "$want" ]; then echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null || true; fi
  if ! mount | grep -q 'type hugetlbfs'; then
    mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
  fi
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
echo "setup: DPDK $(pkg-config --modversion libdpdk), hugepages free: ${free:-0}"
