#!/usr/bin/env bash
# The test command: set-up, then every test of the workspace (unit, property,
# fuzz-corpus replay, and DPDK integration tests on net_pcap and net_tap).
# Needs root for the net_tap test (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --workspace --all-targets --locked 2>&1 | tail -n 3
cargo test --workspace --locked -- --test-threads 2
