#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build (if needed) and run every benchmark, printing the results.
#
#   tools/bench.sh [BUILD_DIR] [-- BENCH_ARGS...]
#
# BUILD_DIR defaults to build-bench in the source tree and is set up with
# buildtype=release when it does not exist. BENCH_ARGS go to every
# benchmark, e.g. `tools/bench.sh -- --smoke` or `-- --runs 9 --json`.
# Only the benchmark targets are built, so a broken unrelated target does
# not stop a measurement. How figures are taken and read: docs/perf.md.
#
# To add a benchmark: write a bench_NAME function (build_target its target
# || return, then run it with "$@") and append it to BENCHMARKS.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$src/build-bench"
bench_args=()

usage() {
	sed -n '4,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
	echo "bench.sh: $*" >&2
	exit 1
}

# Set the build directory up on first use; warn if it is not a release one,
# since a debug build's figures mean little.
setup_build() {
	local buildtype

	if [[ ! -f "$build/build.ninja" ]]; then
		meson setup "$build" "$src" --buildtype=release -Dtests=true >/dev/null ||
			die "meson setup $build failed"
	fi
	buildtype=$(meson introspect "$build" --buildoptions |
		python3 -c 'import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))')
	if [[ "$buildtype" != release ]]; then
		echo "bench.sh: warning: $build has buildtype=$buildtype, not release" >&2
	fi
}

# build_target PATH: build one target, e.g. tests/bench/bench_icrc; show the
# compiler's output only if it fails.
build_target() {
	local out

	if ! out=$(meson compile -C "$build" "$1" 2>&1); then
		printf '%s\n' "$out" >&2
		echo "bench.sh: cannot build $1 in $build" >&2
		return 1
	fi
}

# ---- Benchmarks: one function each -----------------------------------------

bench_icrc() {
	build_target tests/bench/bench_icrc || return
	"$build/tests/bench/bench_icrc" "$@"
}

BENCHMARKS=(
	bench_icrc
)

# ---- Main -------------------------------------------------------------------

main() {
	local b
	local -a failed=()

	while (($# > 0)); do
		case "$1" in
		-h | --help)
			usage
			exit 0
			;;
		--)
			shift
			bench_args=("$@")
			break
			;;
		-*)
			die "unknown option '$1' (benchmark options go after --)"
			;;
		*)
			build=$1
			shift
			;;
		esac
	done

	setup_build
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git -C "$src" describe --always --dirty 2>/dev/null ||
		echo 'no git revision'), build $build"
	for b in "${BENCHMARKS[@]}"; do
		echo "## $b"
		if ! "$b" "${bench_args[@]}"; then
			echo "bench.sh: $b failed" >&2
			failed+=("$b")
		fi
		echo
	done
	if ((${#failed[@]} > 0)); then
		die "failed: ${failed[*]}"
	fi
}

main "$@"
