#!/usr/bin/env bash
# The main job: a DMSC Service Router on DPDK virtual devices with real traffic.
#  (a) net_pcap: a pcap of mixed traffic in, one pcap per output port out,
#      decoded and summarised by destination name.
#  (b) net_tap: the router's two tap ports moved into two network namespaces;
#      a sender in one writes DMSC frames (AF_PACKET), the router forwards them
#      by its FIB into the other, where they are captured and shown.
#  (c) the draft's Figure 2 as a routed network: seven dmscd processes (3 SRs,
#      4 SGs) linked by net_memif pairs run the Service Prefix LSA protocol
#      (hellos, flooding, SPF); `dmsc topo up` waits for convergence, then a
#      pod behind SG1 sends requests to services behind SG2, SG3 and SG4,
#      captured in their pods' namespaces; `dmsc show` prints neighbours,
#      LSDB and FIBs; `dmsc topo down` stops exactly what was started.
# Everything it creates lives under out/demo and in namespaces dmsc-demo-a/b,
# and is removed (processes by PID, namespaces by name) on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked --bins 2>&1 | tail -n 2
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
BIN=$target_dir/release
OUT=$PWD/out/demo
rm -rf "$OUT" && mkdir -p "$OUT"
MEM=$(./scripts/eal-mem-args.sh)
eal_args() { # TOML array: memory args + no PCI probing + a file prefix
  local a=() x; for x in $MEM --no-pci --file-prefix "$1" --log-level lib.eal:warning; do a+=("\"$x\""); done
  local IFS=,; echo "[${a[*]}]"
}
ROUTER_PID=""
cleanup() {
  [ -n "$ROUTER_PID" ] && kill "$ROUTER_PID" 2>/dev/null && wait "$ROUTER_PID" 2>/dev/null || true
  ip netns del dmsc-demo-a 2>/dev/null || true
  ip netns del dmsc-demo-b 2>/dev/null || true
  rm -rf /var/run/dpdk/dmsc-demo-pcap /var/run/dpdk/dmsc-demo-tap
  rm -f /dev/hugepages/dmsc-demo-* 2>/dev/null || true
  [ -x "$BIN/dmsc" ] && "$BIN/dmsc" topo down config/examples/figure2/topology.toml >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo
echo "=== (a) net_pcap run: SR /demo/sr1, input p0, outputs p1 and p2 ==="
cat > "$OUT/names.txt" <<'NAMES'
/B/4/echo
/B/4/echo/v2
/A/1/orders
/payments/charge
/payments/refund
NAMES
"$BIN/dmsc" pcap gen --out "$OUT/in.pcap" --names-file "$OUT/names.txt" --count 5000 --flows 64 \
  --sizes 64:60,256:30,1024:10 --miss-share 0.1 --expired-share 0.05 --malformed-share 0.03 \
  --foreign-share 0.02 --src /client/c1 --seed 2026
"$BIN/dmsc" pcap gen --out "$OUT/empty.pcap" --count 0 --name /x 2>/dev/null   # header only: no rx
cat > "$OUT/pcap-sr.toml" <<TOML
[node]
name = "/demo/sr1"
role = "sr"
[eal]
args = $(eal_args dmsc-demo-pcap)
[dataplane]
lcores = [0]
stats_interval_s = 0
[[ports]]
name = "p0"
device = "net_pcap0,rx_pcap=$OUT/in.pcap,tx_pcap=$OUT/p0.pcap"
  [[ports.neighbors]]
  name = "client"
  mac = "02:00:00:00:0c:01"
[[ports]]
name = "p1"
device = "net_pcap1,rx_pcap=$OUT/empty.pcap,tx_pcap=$OUT/p1.pcap"
  [[ports.neighbors]]
  name = "sr2"
  mac = "02:00:00:00:00:02"
[[ports]]
name = "p2"
device = "net_pcap2,rx_pcap=$OUT/empty.pcap,tx_pcap=$OUT/p2.pcap"
  [[ports.neighbors]]
  name = "sr3"
  mac = "02:00:00:00:00:03"
[[routes]]
prefix = "/B/4"
next_hops = [{ port = "p1", neighbor = "sr2" }]
[[routes]]
prefix = "/B/4/echo/v2"
next_hops = [{ port = "p2", neighbor = "sr3" }]
[[routes]]
prefix = "/A"
next_hops = [{ port = "p2", neighbor = "sr3" }]
[[routes]]
prefix = "/payments"
next_hops = [{ port = "p1", neighbor = "sr2", cost = 10 }, { port = "p2", neighbor = "sr3", cost = 10 }]
[[routes]]
prefix = "/client"
next_hops = [{ port = "p0", neighbor = "client" }]
TOML
"$BIN/dmscd" check-config "$OUT/pcap-sr.toml"
echo "routes: /B/4 -> p1, /B/4/echo/v2 -> p2, /A -> p2, /payments -> p1|p2 (ECMP by flow label), /client -> p0"
echo "--- in.pcap: frames per type and destination (without the per-flow component)"
"$BIN/dmsc" pcap dump --summary --strip 1 "$OUT/in.pcap"
"$BIN/dmscd" run --config "$OUT/pcap-sr.toml" --exit-when-idle-ms 500 --duration-s 60 --stats-json "$OUT/pcap-stats.json" --log warn
for p in p0 p1 p2; do
  echo "--- $p.pcap: frames per type and destination (without the per-flow component)"
  "$BIN/dmsc" pcap dump --summary --strip 1 "$OUT/$p.pcap"
done
echo "--- first frames of p1.pcap:"
"$BIN/dmsc" pcap dump "$OUT/p1.pcap" | head -n 5

echo
echo "=== (b) net_tap run: namespaces dmsc-demo-a -> SR /demo/sr2 -> dmsc-demo-b ==="
cleanup
ip netns add dmsc-demo-a
ip netns add dmsc-demo-b
cat > "$OUT/tap-sr.toml" <<TOML
[node]
name = "/demo/sr2"
role = "sr"
[eal]
args = $(eal_args dmsc-demo-tap)
[dataplane]
lcores = [0]
stats_interval_s = 2
[[ports]]
name = "a"
device = "net_tap0,iface=dmscdemoa"
  [[ports.neighbors]]
  name = "host-a"
  mac = "02:00:00:00:0a:01"
[[ports]]
name = "b"
device = "net_tap1,iface=dmscdemob"
  [[ports.neighbors]]
  name = "host-b"
  mac = "02:00:00:00:0b:01"
[[routes]]
prefix = "/B/4"
next_hops = [{ port = "b", neighbor = "host-b" }]
[[routes]]
prefix = "/client"
next_hops = [{ port = "a", neighbor = "host-a" }]
TOML
"$BIN/dmscd" run --config "$OUT/tap-sr.toml" --duration-s 60 --stats-json "$OUT/tap-stats.json" --log warn &
ROUTER_PID=$!
# The tap PMD attaches its queues to the interface by name when the port is
# configured, and sets it UP when the port starts: move it only after that.
for i in $(seq 300); do ip -o link show dev dmscdemob 2>/dev/null | grep -q '[<,]UP[,>]' && break; sleep 0.1; done
for side in a b; do
  ip link set "dmscdemo$side" netns "dmsc-demo-$side"
  ip -n "dmsc-demo-$side" link set "dmscdemo$side" address "02:00:00:00:0$side:01"
  ip netns exec "dmsc-demo-$side" sysctl -qw "net.ipv6.conf.dmscdemo$side.disable_ipv6=1" || true
  ip -n "dmsc-demo-$side" link set "dmscdemo$side" up
done
# Linux attaches the real qdisc up to ~1 s after "link up"; until then frames
# sent on the interface are dropped by the noop qdisc.
for side in a b; do
  for i in $(seq 100); do
    ip -n "dmsc-demo-$side" -o link show dev "dmscdemo$side" | grep -v 'qdisc noop' | grep -q LOWER_UP && break
    sleep 0.1
  done
done
"$BIN/dmsc" pcap gen --out "$OUT/tap-in.pcap" --name /B/4/echo --name /B/4/stream --count 1000 --flows 8 \
  --sizes 64:3,512:1 --miss-share 0.05 --src /client/c2 --src-mac 02:00:00:00:0a:01 --seed 7
ip netns exec dmsc-demo-b "$BIN/dmsc" capture --iface dmscdemob --count 1000 --timeout-ms 10000 --idle-ms 1000 \
  --out "$OUT/tap-b.pcap" > "$OUT/tap-b.txt" 2>&1 &
CAP=$!
sleep 1
ip netns exec dmsc-demo-a "$BIN/dmsc" send --iface dmscdemoa --pcap "$OUT/tap-in.pcap" --rate-pps 5000
wait "$CAP" || true
echo "--- captured in dmsc-demo-b (first 5 lines):"
head -n 5 "$OUT/tap-b.txt"
tail -n 1 "$OUT/tap-b.txt"
"$BIN/dmsc" pcap dump --summary --strip 1 "$OUT/tap-b.pcap"
kill -INT "$ROUTER_PID"; wait "$ROUTER_PID" || true; ROUTER_PID=""

echo
echo "=== (c) Figure 2: 3 SRs + 4 SGs, one dmscd each, memif links, routing protocol ==="
TOPO=config/examples/figure2/topology.toml
SOCK=/run/dmsc-topo/fig2
"$BIN/dmsc" topo up "$TOPO"
"$BIN/dmsc" show neighbors --socket $SOCK/sr1.sock
"$BIN/dmsc" show lsdb --socket $SOCK/sr3.sock
"$BIN/dmsc" show fib --socket $SOCK/sg1.sock
"$BIN/dmsc" pcap gen --out "$OUT/fig2-in.pcap" --name /orders/list --name /inventory/stock --name /shipping/track \
  --count 900 --flows 24 --sizes 128 --src /fig2/pod1 --src-mac 02:00:00:00:04:0f --dst-mac 02:00:00:00:04:01 --seed 3
CAPS=()
for sg in sg2 sg3 sg4; do
  ip netns exec dmsc-fig2-$sg "$BIN/dmsc" capture --iface fig2-$sg --count 900 --timeout-ms 10000 --idle-ms 1500 \
    --out "$OUT/fig2-$sg.pcap" > "$OUT/fig2-$sg.txt" 2>&1 &
  CAPS+=($!)
done
sleep 1
ip netns exec dmsc-fig2-sg1 "$BIN/dmsc" send --iface fig2-sg1 --pcap "$OUT/fig2-in.pcap" --rate-pps 3000
for p in "${CAPS[@]}"; do wait "$p" || true; done
for sg in sg2 sg3 sg4; do
  echo "--- pod behind $sg: $(tail -n 1 "$OUT/fig2-$sg.txt")"
  "$BIN/dmsc" pcap dump --summary --depth 1 "$OUT/fig2-$sg.pcap" | tail -n +2
done
"$BIN/dmsc" show counters --socket $SOCK/sr1.sock | head -n 9
"$BIN/dmsc" topo down "$TOPO"
echo
echo "demo done: inputs, outputs, configs and JSON counters are in $OUT"
