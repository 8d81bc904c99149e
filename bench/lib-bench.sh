# SPDX-License-Identifier: GPL-2.0
#
# lib-bench: what the benchmark suites that boot the lguest guest
# (bench-net, bench-netmq, bench-netsmp, bench-ipi) share; each sources it
# after lib-net.sh.  Not a suite itself.  A run's numbers go to
# $T/KEY.results, one "METRIC VALUE" line per round.
#
#   record KEY METRIC VALUE   one round's number (nothing if VALUE is empty)
#   median KEY METRIC         the median of its rounds, "-" if none
#   spread KEY METRIC         (max - min) / median of its rounds, "12%";
#                             "-" for fewer than two rounds
#   ratio A B                 B/A as "1.23x", or "-"
#   stop G                    kill guest G's launcher ($pid_G), alive_G=0
#   showin [N]                standard input's last N lines as comments
#   start_flows COUNT CMD...  COUNT copies of CMD in the background
#   wait_flows PID...         wait for them
#   tcp_rate COUNT            netxfer's "received" lines of COUNT flows
#                             that ran at once, as one MB/s

record() {
	[ -n "$3" ] && echo "$2 $3" >>$T/$1.results
}

median() {
	[ -s $T/$1.results ] || { echo -; return; }
	awk -v m="$2" '$1 == m { v[n++] = $2 }
		END {
			if (!n) { print "-"; exit }
			for (i = 0; i < n; i++)
				for (j = i + 1; j < n; j++)
					if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
		}' $T/$1.results 2>/dev/null
}

# The spread tells how far apart the rounds were, so that a ratio can be
# read against the noise of the run that made it.
spread() {
	[ -s $T/$1.results ] || { echo -; return; }
	awk -v m="$2" '$1 == m { v[n++] = $2 }
		END {
			if (n < 2) { print "-"; exit }
			lo = hi = v[0]
			for (i = 1; i < n; i++) {
				if (v[i] < lo) lo = v[i]
				if (v[i] > hi) hi = v[i]
			}
			for (i = 0; i < n; i++)
				for (j = i + 1; j < n; j++)
					if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			med = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
			if (med > 0) printf "%.0f%%\n", (hi - lo) / med * 100
			else print "-"
		}' $T/$1.results 2>/dev/null
}

# ratio A B: B/A as "1.23x", or "-".
ratio() {
	echo "$1 $2" | awk '$1 > 0 && $2 != "-" { printf "%.2fx", $2 / $1; exit } { print "-" }'
}

stop() {
	eval "pid=\$pid_$1"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	eval "alive_$1=0"
}

# showin N: show_tail for standard input (the VM has no /dev/stdin).
showin() { sed 's/^/#   /' | tr -d '\r' | tail -${1:-30}; }

# start_flows COUNT CMD...: COUNT copies of CMD in the background, each
# with @ replaced by its number 0..COUNT-1 and its output in $log.NUMBER;
# their pids in $flow_pids.
start_flows() {
	count=$1
	shift
	flow_pids=
	i=0
	while [ $i -lt $count ]; do
		cmd=$(echo "$*" | sed "s/@/$i/g")
		$cmd >$log.$i 2>&1 &
		flow_pids="$flow_pids $!"
		i=$((i + 1))
	done
}

wait_flows() {
	for pid in "$@"; do
		wait $pid
	done
}

# tcp_rate COUNT FILE-OR-PREFIX...: the sum of COUNT flows' bytes over the
# slowest one's seconds, in MB/s; empty if a flow has no line.
# The lines read "received N bytes in S s: ...".
tcp_rate() {
	awk '{ for (i = 1; i < NF; i++) {
			if ($i == "received") b += $(i + 1)
			if ($i == "in" && $(i + 1) + 0 > s) s = $(i + 1)
		}
		lines++ }
	     END { if (lines == '"$1"' && s > 0) printf "%.2f", b / s / 1e6 }'
}
