#!/usr/bin/env bash
# RFC 2544 throughput of dmscd with Pktgen-DPDK on a bare-metal testbed:
#
#   pktgen host                        router host (dmscd)
#   NIC port 0  ──────────────────▶  port p0 (in)
#   NIC port 1  ◀──────────────────  port p1 (out)
#
# Usage: bench/pktgen/run.sh PCI0 PCI1 [FRAME_BYTES] [COMPONENTS]
# Needs: pktgen (built from Pktgen-DPDK), dmsc (this project), hugepages, both
# NIC ports bound to vfio-pci. The router is configured separately with the
# routes the names below hit (see README.md).
set -euo pipefail
PCI0=${1:?PCI address of the port sending to the router}
PCI1=${2:?PCI address of the port receiving from the router}
FRAME=${3:-64}
COMPONENTS=${4:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
PCAP=${PCAP:-/tmp/dmsc-pktgen-$FRAME.pcap}
ROUTER_MAC=${ROUTER_MAC:?MAC of the router port p0 (Ethernet destination of the frames)}

# Destination names of COMPONENTS components under /bench: COMPONENTS-1 here,
# plus the per-flow component `dmsc pcap gen` adds; 10^4 flows.
name=/bench; for i in $(seq 2 $((COMPONENTS - 1))); do name="$name/c$i"; done
dmsc pcap gen --out "$PCAP" --name "$name" --count 100000 --flows 10000 \
  --sizes "$FRAME" --dst-mac "$ROUTER_MAC" --seed 1

command -v pktgen >/dev/null || { echo "pktgen not found: build Pktgen-DPDK (README.md)" >&2; exit 1; }
# Cores: 0 = pktgen's display/timer, 1 = port 0 rx/tx, 2 = port 1 rx/tx.
cd "$HERE"
exec pktgen -l 0-2 -n 4 -a "$PCI0" -a "$PCI1" -- -P -m "1.0, 2.1" -s "0:$PCAP" -f dmsc-rfc2544.lua
