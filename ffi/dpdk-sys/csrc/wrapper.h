/*
 * Input to bindgen for the `dpdk-sys` crate, and the header that the generated
 * static-inline wrappers (OUT_DIR/extern.c) and shim.c are compiled against.
 *
 * rte_config.h is force-included by pkg-config's cflags (`-include rte_config.h`);
 * it is included here too so that the header stays self-contained for tools that do
 * not read pkg-config (the include guard makes the second inclusion a no-op).
 */
#ifndef DMSC_DPDK_SYS_WRAPPER_H
#define DMSC_DPDK_SYS_WRAPPER_H

/* glibc's cpu_set_t (DPDK's rte_cpuset_t, RTE_HAS_CPUSET) and the lcore/thread affinity
 * calls of rte_lcore.h are only declared with GNU extensions. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <rte_config.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_dev.h>
#include <rte_mempool.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ether.h>
#include <rte_ethdev.h>

/* ---- Hand-written shims (csrc/shim.c) for what bindgen cannot reach ---- */

/* `rte_errno` is a macro over a thread-local (RTE_PER_LCORE(_rte_errno)). */
int dmsc_rte_errno(void);
void dmsc_rte_errno_set(int value);

/* `rte_pktmbuf_mtod(m, void *)`: a macro; address of the first data byte of `m`. */
void *dmsc_pktmbuf_mtod(struct rte_mbuf *m);

#endif
