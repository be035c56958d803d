#!/usr/bin/env bash
# Prints the EAL memory arguments for this machine: hugepages when at least
# 128 x 2 MiB are free and hugetlbfs is mounted, otherwise --no-huge.
# --huge-unlink removes the hugepage files right after mapping them, so the
# pages go back to the kernel when the process exits, however it exits.
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -ge 128 ] && mount | grep -q 'type hugetlbfs'; then
  echo "-m 200 --huge-unlink"
else
  echo "--no-huge -m 256"
fi
