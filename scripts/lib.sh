# Helpers shared by scripts/demo and scripts/bench-service. Source it.

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
