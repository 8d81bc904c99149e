# SPDX-License-Identifier: GPL-2.0
#
# Sourced (bash) by tests/vm/run-suite.sh and scripts/check.sh, at the top
# of the tree: vm_suite_script NAME prints the path of VM suite NAME's
# script, or says on stderr why there is none and returns 1.
#
# A suite's script sits next to the programs it runs, in the folder of
# what it tests: tests/<subject>/<kind>/<name>.sh (tests/lg/vm/lguest.sh,
# tests/lg/fuzz/fuzz-guest.sh), bench/<name>.sh for a benchmark, and
# tests/vm/<name>.sh for the harness's own (smoke).  The Makefile fragment
# beside it adds it to VM_SCRIPTS, which packs it into the test VM as
# /suites/<name>.sh; tests/README.md lists them all.

vm_suite_script() {
	local found=() f
	for f in tests/vm/"$1".sh tests/*/*/"$1".sh bench/"$1".sh; do
		[[ -f $f ]] && found+=("$f")
	done
	case ${#found[@]} in
	1) echo "${found[0]}" ;;
	0) echo "no VM suite $1 (no tests/<subject>/<kind>/$1.sh, bench/$1.sh or tests/vm/$1.sh)" >&2
	   return 1 ;;
	*) echo "VM suite $1 is ambiguous: ${found[*]}" >&2
	   return 1 ;;
	esac
}
