#!/usr/bin/python3
"""Live view for scripts/demo: what lands in InfluxDB per feed (points, rate,
last values) and the record session of the OCS adapter (spool, connected),
refreshed every second, until SECONDS pass (0: until Ctrl-C).

usage: demo_view.py INFLUX_PORT BRIDGE_URL AGENT_ADDRESS SECONDS
"""
import json
import sys
import time
import urllib.parse
import urllib.request


def query(port, q):
    url = (f"http://127.0.0.1:{port}/query?db=ocs_feeds&epoch=ns&"
           + urllib.parse.urlencode({"q": q}))
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def session(bridge, address):
    body = json.dumps({"procedure": f"{address}.ops",
                       "args": ["status", "record"], "kwargs": {}}).encode()
    req = urllib.request.Request(bridge, data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)["args"][0][2]


def main():
    port, bridge, address, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    tty = sys.stdout.isatty()
    start = time.time()
    previous = {}
    while seconds <= 0 or time.time() - start < seconds:
        lines = []
        try:
            series = query(port, 'SELECT count(*) FROM /observatory\\..*/ GROUP BY "feed"')
            last = query(port, 'SELECT * FROM /observatory\\..*/ GROUP BY "feed" ORDER BY time DESC LIMIT 1')
        except Exception as e:  # InfluxDB restarting: say so, keep going
            lines.append(f"InfluxDB: {e}")
            series, last = {"results": [{}]}, {"results": [{}]}
        lasts = {}
        for s in last["results"][0].get("series", []):
            cols, row = s["columns"], s["values"][0]
            values = {c: v for c, v in zip(cols, row) if c not in ("time", "feed") and v is not None}
            lasts[(s["name"], s["tags"]["feed"])] = values
        lines.append(f"{'feed':48} {'points':>9} {'points/s':>9}  last values")
        for s in series["results"][0].get("series", []):
            key = (s["name"], s["tags"]["feed"])
            count = max(v for v in s["values"][0][1:] if v is not None)
            rate = count - previous.get(key, count)
            previous[key] = count
            shown = ", ".join(f"{k.replace('count_', '')}={v:.4g}" if isinstance(v, float)
                              else f"{k}={v}" for k, v in list(lasts.get(key, {}).items())[:4])
            lines.append(f"{key[0] + ' ' + key[1]:48} {count:>9} {rate:>9}  {shown}")
        try:
            d = session(bridge, address)
            data = d.get("data", {})
            lines.append(f"record: {d.get('status')} (op_code {d.get('op_code')}), "
                         f"InfluxDB connected={data.get('connected')}, "
                         f"spool={data.get('spool_points')} points, "
                         f"written={data.get('points_written')}, "
                         f"events={data.get('events_received')}")
        except Exception as e:
            lines.append(f"adapter: {e}")
        if tty:
            sys.stdout.write("\x1b[H\x1b[2J")
        print("\n".join(lines) + ("" if tty else "\n---"), flush=True)
        time.sleep(1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
