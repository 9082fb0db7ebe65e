# SPDX-License-Identifier: BSD-3-Clause
# Sourced by scripts that run DPDK processes on 2 MiB hugepages
# (tools/perf-table.sh --huge, tests/iova_pa_test.sh). Needs root.
#
#   huge_reserve NEED   at least NEED free 2 MiB pages, and hugetlbfs on
#                       /dev/hugepages; returns 1 with the reason on stderr.
#   huge_release PREFIX removes the hugepage files of EAL file prefix PREFIX*
#                       (EAL leaves them behind), and gives back the pages
#                       huge_reserve added.

huge_before=	# nr_hugepages before huge_reserve raised it, if it did

huge_reserve() {
	local need=$1 free
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -lt "$need" ]; then
		huge_before=$(cat /proc/sys/vm/nr_hugepages)
		{ echo $((huge_before + need - ${free:-0})) >/proc/sys/vm/nr_hugepages; } 2>/dev/null
		free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
		if [ "${free:-0}" -lt "$need" ]; then
			echo "${free:-0} free 2 MiB pages, $need needed" >&2
			return 1
		fi
	fi
	mountpoint -q /dev/hugepages && return 0
	mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages && return 0
	echo "cannot mount hugetlbfs on /dev/hugepages" >&2
	return 1
}

huge_release() {
	rm -f /dev/hugepages/"$1"*
	[ -z "$huge_before" ] || echo "$huge_before" >/proc/sys/vm/nr_hugepages
	huge_before=
}
