# SPDX-License-Identifier: GPL-2.0
#
# lib-bench: what the network benchmark suites (bench-net, bench-netmq)
# share; each sources it after lib-net.sh.  Not a suite itself.  A run's
# numbers go to $T/KEY.results, one "METRIC VALUE" line per round.
#
#   record KEY METRIC VALUE   one round's number (nothing if VALUE is empty)
#   median KEY METRIC         the median of its rounds, "-" if none
#   stop G                    kill guest G's launcher ($pid_G), alive_G=0

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

stop() {
	eval "pid=\$pid_$1"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	eval "alive_$1=0"
}
