#!/usr/bin/env bash
# The test command: set-up, then every test of the workspace (unit, property,
# fuzz-corpus replay, and DPDK integration tests on net_pcap and net_tap).
# Needs root for the net_tap test (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
# Formatting (rustfmt.toml): a diff fails the run. Skipped, and said so, where the
# toolchain has no rustfmt component.
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all --check || { echo "test: run 'cargo fmt --all' (rustfmt.toml)" >&2; exit 1; }
else
  echo "test: rustfmt not installed; formatting check skipped" >&2
fi
# A clean run gains nothing from incremental artefacts (1.4 GB of a 5 GB build).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# Free space where the build goes (a full disk shows as a compile error).
disk_free() {
  local d="${CARGO_TARGET_DIR:-.}"
  [ -d "$d" ] || d=$(dirname "$d")
  df -h --output=avail "$d" | tail -n 1 | tr -d ' '
}
echo "test: disk free for the build: $(disk_free)"
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
if ! cargo build --workspace --all-targets --locked >"$build_log" 2>&1; then
  grep -v '^ *Compiling ' "$build_log" | tail -n 80 >&2
  echo "test: the build failed (disk free: $(disk_free))" >&2
  exit 1
fi
tail -n 1 "$build_log"
cargo test --workspace --locked -- --test-threads 2
