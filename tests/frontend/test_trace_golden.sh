#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The --trace output of trace_program, line for line, against the golden
# file; the environment variable does the same; no trace unless asked.
# Usage: test_trace_golden.sh RUNNER TRACE_PROGRAM GOLDEN
R=$1 PROG=$2 GOLDEN=$3
. "$(dirname "$0")/lib.sh"

compare() {
	if ! diff -u "$GOLDEN" "$1"; then
		echo "trace differs from $GOLDEN (to accept: cp $1 $GOLDEN)"
		return 1
	fi
}

trace_option() {
	"$R" --trace -- "$PROG" 2>"$tmp/trace" >/dev/null
	compare "$tmp/trace"
}

trace_environment() {
	UIOMMUFD_TRACE=1 "$R" -- "$PROG" 2>"$tmp/trace" >/dev/null
	compare "$tmp/trace"
}

no_trace_by_default() {
	"$R" -- "$PROG" 2>"$tmp/trace" >/dev/null
	expect_eq "stderr" "" "$(cat "$tmp/trace")"
	UIOMMUFD_TRACE=0 "$R" -- "$PROG" 2>"$tmp/trace" >/dev/null
	expect_eq "stderr with UIOMMUFD_TRACE=0" "" "$(cat "$tmp/trace")"
}

run_case trace_option
run_case trace_environment
run_case no_trace_by_default
finish
