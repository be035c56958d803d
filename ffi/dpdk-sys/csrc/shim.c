/*
 * Small C helpers for DPDK features that are macros or thread-local variables,
 * which neither bindgen nor `wrap_static_fns` can expose to Rust.
 * Compiled with pkg-config's cflags for libdpdk by build.rs.
 */
#include "wrapper.h"

int dmsc_rte_errno(void)
{
	return rte_errno;
}

void dmsc_rte_errno_set(int value)
{
	rte_errno = value;
}

void *dmsc_pktmbuf_mtod(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, void *);
}
