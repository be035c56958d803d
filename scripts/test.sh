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
cargo build --workspace --all-targets --locked 2>&1 | tail -n 3
cargo test --workspace --locked -- --test-threads 2
