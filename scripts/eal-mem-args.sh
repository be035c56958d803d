#!/usr/bin/env bash
# Prints the EAL memory arguments for this machine: hugepages when at least
# 128 x 2 MiB are free and hugetlbfs is mounted, otherwise --no-huge.
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -ge 128 ] && mount | grep -q 'type hugetlbfs'; then
  echo "-m 200"
else
  echo "--no-huge -m 256"
fi
