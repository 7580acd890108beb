# Helpers shared by scripts/demo and the bench scripts. Source it.

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_influxd DIR: influxd 1.6 on a free loopback port with its data in DIR;
# sets INFLUX_PORT and INFLUX_PID, waits until /ping answers.
start_influxd() {
  local dir=$1
  INFLUX_PORT=$(free_port)
  local rpc_port
  rpc_port=$(free_port)
  mkdir -p "$dir"
  cat > "$dir/influxd.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  log-enabled = false
[logging]
  level = "warn"
[monitor]
  store-enabled = false
CONF
  influxd -config "$dir/influxd.conf" >"$dir/influxd.log" 2>&1 &
  INFLUX_PID=$!
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$INFLUX_PORT/ping" && return 0
    sleep 0.1
  done
  echo "influxd did not start; its log:" >&2
  tail -20 "$dir/influxd.log" >&2
  return 1
}

# write_float_lines OUT POINTS FIELDS: line protocol of POINTS lines of
# FIELDS full-precision floats (random doubles, as numpy's, in Python's
# repr), one feed, nanosecond timestamps; the same file for a given size.
write_float_lines() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import random, sys
out, points, fields = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(10)
base = 1700000000000000000 + 10 * 1000000000000
keys = [f"channel_{k:02d}=" for k in range(fields)]
u = random.uniform
with open(out, "w") as f:
    for i in range(points):
        f.write("write,feed=temperatures " + ",".join(k + repr(u(-300, 300)) for k in keys)
                + f" {base + i}\n")
PY
}

# influx_query PORT DB QUERY: prints the rows of the answer, one per line.
influx_query() {
  curl -sG "http://127.0.0.1:$1/query" --data-urlencode "db=$2" \
    --data-urlencode "q=$3" | /usr/bin/python3 -c '
import json, sys
for result in json.load(sys.stdin).get("results", []):
    for series in result.get("series", []):
        print("   " + series["name"] + "  " + "  ".join(series["columns"]))
        for row in series["values"]:
            print("     " + "  ".join(str(v) for v in row))'
}

# PERF=1 of the bench scripts. perf_out_path NAME: where the report goes
# (PERF_OUT, default /tmp/NAME-perf.<time>.txt), or exits 2 without perf.
perf_out_path() {
  command -v perf >/dev/null ||
    { echo "$1: PERF=1 needs perf (Debian package linux-perf: apt-get install linux-perf)" >&2; exit 2; }
  echo "${PERF_OUT:-/tmp/$1-perf.$(date +%Y%m%dT%H%M%S).txt}"
}
# perf_start PID OUT LOG: `perf record -g` of PID into OUT.data (of the
# event PERF_EVENT when set, e.g. page-faults; cpu-clock otherwise; with
# PERF_CALLGRAPH=dwarf the stacks are unwound from copies, which finds the
# callers of libc's functions that frame pointers lose); sets perf_pid.
# Stopped by SIGINT (perf_stop) rather than `-- sleep`: with a command,
# perf 6.1 at times exited 255 silently here, leaving a truncated perf.data.
perf_start() {
  perf record -g ${PERF_CALLGRAPH:+--call-graph "$PERF_CALLGRAPH"} ${PERF_EVENT:+-e "$PERF_EVENT"} -o "$2.data" -p "$1" >"$3" 2>&1 &
  perf_pid=$!
}
# perf_stop LOG: stops perf_start's perf (LOG: its output, shown if it failed).
perf_stop() {
  local rc=0
  kill -INT "$perf_pid"
  wait "$perf_pid" || rc=$?
  # SIGINT is how it ends: 130 then is success.
  [ "$rc" = 0 ] || [ "$rc" = 130 ] ||
    { echo "perf record failed ($rc):" >&2; cat "$1" >&2; exit 1; }
}
# perf_report OUT TITLE: the top 30 of `perf report --no-children --sort
# dso,sym` of OUT.data go to OUT, under "# ... top 30: TITLE". Apart from
# perf_stop, so that a script reads its figures before perf report runs.
perf_report() {
  {
    echo "# perf report --no-children --sort dso,sym -g none, top 30: $2"
    # awk reads to the end: a `head` would SIGPIPE perf under pipefail.
    perf report -i "$1.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null |
      awk 'NF && !/^#/ && n++ < 30'
  } > "$1"
}
