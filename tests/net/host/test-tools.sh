#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the network test tools (tests/net/vm/net-vm.mk), TAP on
# stdout.  Run by `make net-tools-check` (part of `make check`):
#
#   test-tools.sh SYSCOUNT UDPBLAST NETXFER
#
# syscount is checked against a target of known behaviour, built here from
# the C below: it makes a known number of getppid() calls per second (and
# getuid() from a thread born while we trace), or sits in one read().  The
# checks are what a user of syscount relies on: the counts, and a target
# that runs on unharmed after the detach (signals delivered, job control
# kept, no tracer left).  udpblast and netxfer run over loopback.
# ptrace needs root or a Yama ptrace_scope that lets a parent trace its
# children's siblings; without it the syscount tests are skipped.
set -uo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: $0 SYSCOUNT UDPBLAST NETXFER" >&2
	exit 2
fi
syscount=$(realpath "$1") udpblast=$(realpath "$2") netxfer=$(realpath "$3")
CC=${CC:-gcc}
BUILD=${BUILD:-build}
work=$(mktemp -d "${TMPDIR:-/tmp}/net-tools.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# ok, not_ok, check, skip (make runs us from the top of the tree).
. tests/lib/tap.sh
diag() { sed 's/^/# /' "$@"; }
in_range() { [[ $1 =~ ^[0-9]+$ ]] && ((${1} >= $2 && ${1} <= $3)); }

# Ports that concurrent runs are unlikely to share.
port_base=$((20000 + $$ % 20000))

# --- the syscount target ---------------------------------------------------

target=$work/target
cat >"$work/target.c" <<'EOF'
/*
 * target tick RATE   getppid() RATE times a second (absolute sleeps, so the
 *                    rate holds however long each call takes); prints its
 *                    count on SIGUSR1
 * target threads RATE  the same from a second thread, plus getuid() RATE
 *                    times a second from a third one started 500 ms later
 * target orphan RATE  the same from a second thread after main() has
 *                    returned through pthread_exit (a zombie leader)
 * target block       one read() that never returns
 * target live MS     ticks at 100/s for MS milliseconds, then exits
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static volatile sig_atomic_t report;
static volatile unsigned long ticks;
static long rate;

static void on_usr1(int sig) { (void)sig; report = 1; }

static void tick(long nr, double seconds)
{
	struct timespec next;
	char line[64];
	long i;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; seconds < 0 || i < seconds * rate; i++) {
		syscall(nr);
		ticks++;
		next.tv_nsec += 1000000000L / rate;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL))
			;
		if (report) {
			report = 0;
			snprintf(line, sizeof(line), "ticks %lu\n", ticks);
			if (write(1, line, strlen(line)) < 0)
				exit(1);
		}
	}
}

static void *ticker(void *nr) { tick((long)nr, -1); return NULL; }

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pthread_t a, b;
	int fds[2];
	char c;

	if (argc < 2)
		return 2;
	sigaction(SIGUSR1, &sa, NULL);
	rate = argc > 2 ? atol(argv[2]) : 100;
	if (!strcmp(argv[1], "tick")) {
		tick(SYS_getppid, -1);
	} else if (!strcmp(argv[1], "threads")) {
		pthread_create(&a, NULL, ticker, (void *)(long)SYS_getppid);
		usleep(500000);
		pthread_create(&b, NULL, ticker, (void *)(long)SYS_getuid);
		pthread_join(a, NULL);
	} else if (!strcmp(argv[1], "orphan")) {
		pthread_create(&a, NULL, ticker, (void *)(long)SYS_getppid);
		pthread_exit(NULL);
	} else if (!strcmp(argv[1], "block")) {
		if (pipe(fds) || read(fds[0], &c, 1) < 0)
			return 1;
	} else if (!strcmp(argv[1], "live")) {
		rate = 100;
		tick(SYS_getppid, atol(argv[2]) / 1000.0);
	}
	return 0;
}
EOF
if ! $CC -Wall -Wextra -Werror -O2 -pthread -o "$target" "$work/target.c" \
	>"$work/cc.log" 2>&1; then
	not_ok "syscount's test target builds"
	diag "$work/cc.log"
	exit 1
fi

# start_target ARGS...: runs it in the background as $tpid, output in
# $work/out.$tpid (made before the fork, so it exists however late the
# child gets to run).
targets=0
start_target() {
	targets=$((targets + 1))
	: >"$work/out-$targets"
	"$target" "$@" >>"$work/out-$targets" 2>&1 &
	tpid=$!
	pids+=("$tpid")
	ln -s "out-$targets" "$work/out.$tpid"
	sleep 0.2
}
# count_of FILE NR: the count syscount printed for one system call number.
count_of() { awk -v nr="$2" '$1 == "syscall" && $2 == nr { print $3; f = 1 } END { if (!f) print 0 }' "$1"; }
total_of() { awk '$1 == "syscalls" { print $2 }' "$1"; }
tracer_of() { awk '/^TracerPid:/ { print $2 }' "/proc/$1/status"; }
state_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1; }
ticks_of() {
	local before
	before=$(grep -c ticks "$work/out.$1")
	kill -USR1 "$1"
	for _ in $(seq 50); do
		(($(grep -c ticks "$work/out.$1") > before)) && break
		sleep 0.02
	done
	tail -n1 "$work/out.$1" | awk '$1 == "ticks" { print $2 }'
}
# runs_on PID: not traced, not stopped, and still ticking.
runs_on() {
	local t1 t2
	[[ $(tracer_of "$1") == 0 ]] || { echo "# TracerPid $(tracer_of "$1")"; return 1; }
	t1=$(ticks_of "$1")
	sleep 0.3
	t2=$(ticks_of "$1")
	echo "# ticks $t1 then $t2"
	[[ -n $t1 && -n $t2 ]] && ((t2 >= t1 + 20))
}

sys_getppid=110 sys_getuid=102 sys_read=0

# --- syscount -------------------------------------------------------------

"$syscount" >"$work/usage.out" 2>&1
status=$?
check "syscount without a PID: status 1 and a usage line" \
	test $status -eq 1 -a "$(cat "$work/usage.out")" = "usage: syscount [-t SECONDS] PID"
"$syscount" -t 0 1 >"$work/usage.out" 2>&1
status=$?
check "syscount -t 0: status 1 and a usage line" \
	test $status -eq 1 -a "$(cat "$work/usage.out")" = "usage: syscount [-t SECONDS] PID"

# A PID no process has: the highest one, or any that /proc lacks.
nopid=$(($(cat /proc/sys/kernel/pid_max) - 1))
while [[ -e /proc/$nopid ]]; do nopid=$((nopid - 1)); done
"$syscount" -t 1 $nopid >"$work/nopid.out" 2>&1
status=$?
check "syscount on a PID that does not exist: status 1, 'no process with PID'" \
	test $status -eq 1 -a "$(cat "$work/nopid.out")" = "syscount: no process with PID $nopid"

scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
if [[ $(id -u) -ne 0 && $scope -ne 0 ]]; then
	for t in "getppid counted" "target runs on" "busy PID refused" "signal delivered" \
		"SIGSTOP/SIGCONT" "stays stopped" "threads" "zombie leader" "blocked read" "exiting target"; do
		skip "syscount: $t" "ptrace not permitted (yama ptrace_scope $scope, not root)"
	done
else
	# 200 getppid() a second for 2 s.
	start_target tick 200
	"$syscount" -t 2 "$tpid" >"$work/tick.out" 2>"$work/tick.err" &
	sc=$!
	sleep 0.5
	"$syscount" -t 1 "$tpid" >"$work/busy.out" 2>&1
	busy_status=$?
	wait $sc
	status=$?
	got=$(count_of "$work/tick.out" $sys_getppid)
	diag "$work/tick.out" "$work/tick.err"
	check "syscount -t 2 on 200 getppid/s: exit 0, getppid counted $got times (350-450)" \
		test $status -eq 0 -a -n "$(grep -E "^syscall $sys_getppid $got getppid\$" "$work/tick.out")" \
		-a "$got" -ge 350 -a "$got" -le 450
	check "syscount: the total counts getppid and the sleeps (2x getppid, +-10%)" \
		in_range "$(total_of "$work/tick.out")" $((got * 18 / 10)) $((got * 22 / 10))
	check "syscount: after the detach the target is untraced and keeps ticking" \
		runs_on "$tpid"
	check "syscount on a PID someone else traces: status 1, 'Operation not permitted'" \
		test $busy_status -eq 1 -a "$(cat "$work/busy.out")" = \
		"syscount: cannot trace PID $tpid: Operation not permitted"

	# A signal that arrives while we trace reaches the target.
	lines=$(grep -c ticks "$work/out.$tpid")
	"$syscount" -t 1.5 "$tpid" >"$work/sig.out" 2>&1 &
	sc=$!
	sleep 0.5
	kill -USR1 "$tpid"
	sleep 0.3
	lines_during=$(grep -c ticks "$work/out.$tpid")
	wait $sc
	check "syscount: a SIGUSR1 sent during the trace is handled by the target" \
		test "$lines_during" -eq $((lines + 1))

	# Job control while traced: stopped, continued, counted only while running.
	"$syscount" -t 2 "$tpid" >"$work/stop.out" 2>&1 &
	sc=$!
	sleep 0.5
	kill -STOP "$tpid"
	sleep 0.3
	stopped_state=$(state_of "$tpid")
	sleep 0.5
	kill -CONT "$tpid"
	wait $sc
	got=$(count_of "$work/stop.out" $sys_getppid)
	echo "# state while stopped: $stopped_state, getppid counted $got"
	# The target's absolute sleeps catch up after SIGCONT: all 400 counted.
	check "syscount: SIGSTOP stops the traced target ($stopped_state), SIGCONT resumes it, its catch-up counted ($got, 350-450)" \
		test "$stopped_state" != R -a "$stopped_state" != S -a "$got" -ge 350 -a "$got" -le 450
	check "syscount: after a stop and a continue the target keeps ticking" runs_on "$tpid"

	# Stopped when we detach: it stays stopped until SIGCONT.
	"$syscount" -t 1 "$tpid" >"$work/stop2.out" 2>&1 &
	sc=$!
	sleep 0.3
	kill -STOP "$tpid"
	wait $sc
	sleep 0.3
	after_state=$(state_of "$tpid")
	kill -CONT "$tpid"
	sleep 0.1
	check "syscount: a target stopped at the detach stays stopped ($after_state), then runs on SIGCONT" \
		eval '[[ $after_state == T ]] && runs_on "$tpid"'
	kill -KILL "$tpid"
	wait "$tpid" 2>/dev/null

	# Threads, and one born while we trace.
	"$target" threads 200 >/dev/null 2>&1 &
	tpid=$!
	pids+=("$tpid")
	sleep 0.1
	"$syscount" -t 2 "$tpid" >"$work/threads.out" 2>"$work/threads.err"
	ppid_count=$(count_of "$work/threads.out" $sys_getppid)
	uid_count=$(count_of "$work/threads.out" $sys_getuid)
	diag "$work/threads.out" "$work/threads.err"
	tracers=$(cat /proc/"$tpid"/task/*/status | awk '/^TracerPid:/ { print $2 }' | sort -u)
	check "syscount follows threads: getppid $ppid_count (350-450), getuid from the new thread $uid_count (200-401), none traced after" \
		test "$ppid_count" -ge 350 -a "$ppid_count" -le 450 -a "$uid_count" -ge 200 \
		-a "$uid_count" -le 401 -a "$tracers" = 0 -a "$(ls /proc/"$tpid"/task | wc -l)" -eq 3
	kill -KILL "$tpid"
	wait "$tpid" 2>/dev/null

	# The leader has exited, a thread runs on: the zombie is left alone.
	start_target orphan 200
	t0=$(date +%s%N)
	"$syscount" -t 1 "$tpid" >"$work/orphan.out" 2>&1
	status=$?
	took_ms=$((($(date +%s%N) - t0) / 1000000))
	got=$(count_of "$work/orphan.out" $sys_getppid)
	tracers=$(cat /proc/"$tpid"/task/*/status | awk '/^TracerPid:/ { print $2 }' | sort -u)
	check "syscount with a zombie leader: status 0, the live thread's getppid counted ($got, 170-230), detached in time (${took_ms} ms)" \
		test $status -eq 0 -a "$got" -ge 170 -a "$got" -le 230 -a "$took_ms" -lt 2500 -a "$tracers" = 0
	kill -KILL "$tpid"
	wait "$tpid" 2>/dev/null

	# Blocked in read() throughout: the interrupt restarts it, once.
	start_target block
	"$syscount" -t 1 "$tpid" >"$work/block.out" 2>&1
	status=$?
	sleep 0.2
	diag "$work/block.out"
	syscall_now=$(cut -d' ' -f1 /proc/"$tpid"/syscall)
	check "syscount on a process blocked in read(): at most 2 system calls, and it is back in read() ($syscall_now, state $(state_of "$tpid"))" \
		test $status -eq 0 -a "$(total_of "$work/block.out")" -le 2 -a "$syscall_now" = $sys_read \
		-a "$(state_of "$tpid")" = S -a "$(tracer_of "$tpid")" = 0
	kill -KILL "$tpid"
	wait "$tpid" 2>/dev/null

	# A target that exits while traced: counts up to its end.
	start_target live 1000
	"$syscount" -t 5 "$tpid" >"$work/live.out" 2>"$work/live.err"
	status=$?
	wait "$tpid" 2>/dev/null
	target_status=$?
	got=$(count_of "$work/live.out" $sys_getppid)
	diag "$work/live.err"
	check "syscount on a target that exits: status 0, 'exited', its getppid counted ($got), the target's own status 0" \
		test $status -eq 0 -a $target_status -eq 0 -a "$got" -ge 50 -a "$got" -le 85 \
		-a -n "$(grep "exited" "$work/live.err")"
fi

# --- udpblast -------------------------------------------------------------

bad_usage() {
	"$@" >"$work/bad.out" 2>&1
	local status=$?
	[[ $status -eq 1 ]] && grep -q "^usage: udpblast send HOST PORT SECONDS \[SIZE\] | udpblast recv PORT SECONDS$" "$work/bad.out"
}
check "udpblast with no mode: status 1 and the usage line" bad_usage "$udpblast"
check "udpblast send missing SECONDS: status 1 and the usage line" \
	bad_usage "$udpblast" send 127.0.0.1 9
check "udpblast send to a name, not an address: status 1 and the usage line" \
	bad_usage "$udpblast" send localhost 9 1
check "udpblast send SIZE 11 (below the 12-byte header): status 1 and the usage line" \
	bad_usage "$udpblast" send 127.0.0.1 9 1 11
check "udpblast recv port 70000: status 1 and the usage line" \
	bad_usage "$udpblast" recv 70000 1

port=$port_base
"$udpblast" recv $port 3 >"$work/urecv.out" 2>&1 &
ur=$!
sleep 0.3
"$udpblast" send 127.0.0.1 $port 1 >"$work/usend.out" 2>&1
send_status=$?
wait $ur
recv_status=$?
diag "$work/usend.out" "$work/urecv.out"
sent=$(awk '$1 == "sent" { print $2 }' "$work/usend.out")
received=$(awk '$1 == "received" { print $2 }' "$work/urecv.out")
lost=$(awk '$1 == "lost" { print $2 }' "$work/urecv.out")
check "udpblast send 1 s: status 0, 'sent N packets in S s: P pps' with N > 1000" \
	test $send_status -eq 0 -a -n "$(grep -E '^sent [0-9]+ packets in 1\.[0-9]{2} s: [0-9]+ pps$' "$work/usend.out")" \
	-a "${sent:-0}" -gt 1000
check "udpblast recv: status 0, 0 < received ($received) <= sent ($sent)" \
	test $recv_status -eq 0 -a -n "$(grep -E '^received [0-9]+ packets in [0-9.]+ s: [0-9]+ pps$' "$work/urecv.out")" \
	-a "${received:-0}" -gt 0 -a "${received:-0}" -le "${sent:-0}"
# The last datagram may itself be lost, so lost + received can fall short
# of sent by what a full socket buffer drops at the very end; never above.
check "udpblast recv: lost ($lost) + received ($received) = sent ($sent), or short by dropped tail packets only" \
	test -n "$lost" -a $((lost + received)) -le "${sent:-0}" \
	-a $((lost + received)) -ge $((sent - sent / 10))

# 20 ms of datagrams fit in the receive buffer: nothing may go missing.
"$udpblast" recv $((port + 1)) 1 >"$work/urecv2.out" 2>&1 &
ur=$!
sleep 0.3
"$udpblast" send 127.0.0.1 $((port + 1)) 0.02 >"$work/usend2.out" 2>&1
wait $ur
sent=$(awk '$1 == "sent" { print $2 }' "$work/usend2.out")
diag "$work/usend2.out" "$work/urecv2.out"
check "udpblast 20 ms burst: 'received $sent packets' and 'lost 0 reordered 0'" \
	test -n "$sent" -a -n "$(grep -E "^received $sent packets in " "$work/urecv2.out")" \
	-a -n "$(grep -E '^lost 0 reordered 0$' "$work/urecv2.out")"

# --- netxfer --------------------------------------------------------------

md5_of() { md5sum "$1" | cut -d' ' -f1; }
field() { awk -v w="$2" '$1 == w { print $NF }' "$1"; }
format='^(sent|received) 8388608 bytes in [0-9.]+ s: [0-9.]+ MB/s md5 [0-9a-f]{32}$'

# File, host to "guest" direction: recv into a file, send a file.
"$netxfer" gen -n 8M -s 3 >"$work/file.bin"
"$netxfer" recv $((port + 2)) "$work/got.bin" >"$work/nrecv.out" 2>&1 &
nr=$!
"$netxfer" send 127.0.0.1 $((port + 2)) "$work/file.bin" >"$work/nsend.out" 2>&1
send_status=$?
wait $nr
recv_status=$?
diag "$work/nsend.out" "$work/nrecv.out"
want=$(md5_of "$work/file.bin")
check "netxfer 8 MiB file: both ends status 0 and print the line format" \
	test $send_status -eq 0 -a $recv_status -eq 0 \
	-a "$(grep -cE "$format" "$work/nsend.out" "$work/nrecv.out" | grep -c ':1$')" -eq 2
check "netxfer 8 MiB file: sent md5, received md5, md5sum of both files agree ($want)" \
	test "$(field "$work/nsend.out" sent)" = "$want" -a "$(field "$work/nrecv.out" received)" = "$want" \
	-a "$(md5_of "$work/got.bin")" = "$want"

# Generated bytes the other way, the sender first: it retries until the
# listener is up.
"$netxfer" send 127.0.0.1 $((port + 3)) -n 8M -s 5 >"$work/nsend2.out" 2>&1 &
ns=$!
sleep 1
"$netxfer" recv $((port + 3)) >"$work/nrecv2.out" 2>&1
recv_status=$?
wait $ns
send_status=$?
diag "$work/nsend2.out" "$work/nrecv2.out"
want=$(set +o pipefail; "$netxfer" gen -n 8M -s 5 | md5sum | cut -d' ' -f1)
check "netxfer send -n 8M -s 5 before the listener is up: it connects, both md5 equal md5sum of 'gen' ($want)" \
	test $send_status -eq 0 -a $recv_status -eq 0 \
	-a "$(field "$work/nsend2.out" sent)" = "$want" -a "$(field "$work/nrecv2.out" received)" = "$want"
other=$("$netxfer" gen -n 1M -s 6 | md5sum | cut -d' ' -f1)
check "netxfer gen: another seed gives other bytes" \
	test "$other" != "$("$netxfer" gen -n 1M -s 5 | md5sum | cut -d' ' -f1)"

# Nobody listening: refused for the whole retry window.
t0=$SECONDS
"$netxfer" send -r 1 127.0.0.1 $((port + 4)) -n 1K >"$work/refused.out" 2>&1
status=$?
took=$((SECONDS - t0))
diag "$work/refused.out"
check "netxfer send with nobody listening: status 1 after the -r 1 window, 'Connection refused (gave up after 1 s)'" \
	test $status -eq 1 -a "$took" -le 3 -a "$(cat "$work/refused.out")" = \
	"netxfer: cannot connect to 127.0.0.1:$((port + 4)): Connection refused (gave up after 1 s)"

nx_usage() {
	"$@" >"$work/bad.out" 2>&1
	local status=$?
	[[ $status -eq 1 ]] && grep -q "^usage: netxfer recv PORT" "$work/bad.out"
}
check "netxfer send without FILE or -n: status 1 and the usage line" \
	nx_usage "$netxfer" send 127.0.0.1 9
check "netxfer send with both FILE and -n: status 1 and the usage line" \
	nx_usage "$netxfer" send 127.0.0.1 9 "$work/file.bin" -n 1K
check "netxfer send -n 1X: status 1 and the usage line" \
	nx_usage "$netxfer" send 127.0.0.1 9 -n 1X
"$netxfer" send 127.0.0.1 9 "$work/missing" >"$work/bad.out" 2>&1
status=$?
check "netxfer send of a missing file: status 1, 'No such file or directory'" \
	test $status -eq 1 -a "$(cat "$work/bad.out")" = "netxfer: $work/missing: No such file or directory"

echo "1..$n"
