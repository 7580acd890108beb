"""docs/grafana/publisher-dashboard.json is an importable Grafana dashboard
whose every InfluxQL query returns data from what the publisher really
writes: a real influxd, the real publisher (--stats-interval 1s,
--stale-after 1s) fed two feeds by publisherctl, then each panel's query
(Grafana's macros replaced) run against influxd.

Everything listens on 127.0.0.1; every wait is bounded; the processes are
stopped (SIGTERM, then SIGKILL) whatever happens.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DASHBOARD = os.path.join(ROOT, "docs", "grafana", "publisher-dashboard.json")
DB = "ocs_feeds"

sys.path.insert(0, os.path.join(ROOT, "tests", "ocs_adapter"))
import ocs_e2e  # noqa: E402


def binary(relative):
    for base in (ROOT, os.path.join(ROOT, "bazel-bin")):
        path = os.path.join(base, relative)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise AssertionError("%s not found (bazel build //%s)" % (relative, relative))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.2)


def queries(dashboard):
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["query"]


def fields_named(query):
    # Aggregates name fields: last("x"), count("x"), mean("x").
    return set(re.findall(r'\b(?:last|count|mean)\("([a-z0-9_]+)"\)', query))


def expand(query):
    # What Grafana puts in for its macros and the host variable ("All").
    return (query.replace("$timeFilter", "time > now() - 10m")
            .replace("$__interval", "1s")
            .replace("$host", ".*"))


class DashboardShapeTest(unittest.TestCase):
    def test_it_is_an_importable_dashboard(self):
        with open(DASHBOARD) as f:
            d = json.load(f)
        self.assertGreaterEqual(d["schemaVersion"], 36)
        inputs = {i["name"]: i for i in d["__inputs"]}
        self.assertEqual(inputs["DS_INFLUXDB"]["type"], "datasource")
        self.assertEqual(inputs["DS_INFLUXDB"]["pluginId"], "influxdb")
        self.assertTrue(d["title"])
        self.assertIsNone(d["id"])
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        titles = " ".join(p["title"] for p in d["panels"]).lower()
        for wanted in ("accepted", "written", "spool depth", "spool age", "p50", "p99",
                       "retries", "dead letters", "connected", "stale"):
            self.assertIn(wanted, titles)
        for p in d["panels"]:
            self.assertIn(p["type"], ("timeseries", "stat", "table"))
            for key in ("x", "y", "w", "h"):
                self.assertIn(key, p["gridPos"])
            self.assertTrue(p["targets"], p["title"])
            for t in p["targets"]:
                self.assertEqual(t["datasource"]["uid"], "${DS_INFLUXDB}")
                self.assertTrue(t["rawQuery"])
                self.assertIn('FROM "publisher_stats"', t["query"])
                self.assertIn("$timeFilter", t["query"])


class DashboardQueriesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.procs = []
        # influxd as every Python end-to-end test starts it (ocs_e2e.Influxd).
        self.influx = ocs_e2e.Influxd(self.dir)
        self.addCleanup(self.influx.stop)  # also when setUp fails later
        self.influx_port = self.influx.port
        self.listen = "127.0.0.1:%d" % free_port()
        self.start("publisher", [
            binary("service/publisher"), "--host", "127.0.0.1",
            "--port", str(self.influx_port), "--database", DB,
            "--listen", self.listen, "--spool-dir", os.path.join(self.dir, "spool"),
            "--stats-interval", "1s", "--stale-after", "1s", "--flush-interval", "100ms"])

    def tearDown(self):
        for p, _ in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p, log in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
            log.close()

    def start(self, name, argv):
        log = open(os.path.join(self.dir, name + ".log"), "wb")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((p, log))
        return p

    def query(self, q):
        url = "http://127.0.0.1:%d/query?%s" % (
            self.influx_port, urllib.parse.urlencode({"db": DB, "q": q}))
        with urllib.request.urlopen(url, timeout=10) as r:
            answer = json.load(r)
        result = answer["results"][0]
        self.assertNotIn("error", result, q)
        return result.get("series", [])

    def write(self, lines):
        ctl = subprocess.run([binary("client/publisherctl"), "write", "--target", self.listen],
                             input=lines.encode(), capture_output=True, timeout=30)
        self.assertEqual(ctl.returncode, 0, ctl.stderr.decode())

    def test_every_query_returns_what_the_publisher_writes(self):
        with open(DASHBOARD) as f:
            d = json.load(f)
        wait_until(lambda: subprocess.run(
            [binary("client/publisherctl"), "status", "--target", self.listen],
            capture_output=True, timeout=10).returncode == 0, 30, "the publisher")
        now = time.time_ns()
        self.write("".join("observatory.agent1,feed=temps v=%di %d\n" % (i, now + i)
                           for i in range(5)))
        self.write("cryo,feed=hk v=1i %d\n" % now)
        # A few stats intervals: totals move (rates need two points), the
        # feeds go stale (--stale-after 1s).
        time.sleep(2)
        self.write("observatory.agent1,feed=temps v=9i %d\n" % (now + 100))
        wait_until(lambda: self.query(
            'SELECT last("stale") FROM "publisher_stats" WHERE "agent" = \'cryo\' '
            'AND "stale" = true'), 30, "a stale per-feed point")
        time.sleep(2)

        # Every field the dashboard names is one the publisher writes.
        written = {v[0] for s in self.query('SHOW FIELD KEYS FROM "publisher_stats"')
                   for v in s["values"]}
        named = set()
        for _, q in queries(d):
            named |= fields_named(q)
        self.assertTrue(named)
        self.assertEqual(named - written, set(), "fields the publisher does not write")

        for title, q in queries(d):
            with self.subTest(panel=title, query=q):
                series = self.query(expand(q))
                self.assertTrue(series, "no data")
                values = [v for s in series for row in s["values"] for v in row[1:]]
                self.assertTrue(any(v is not None for v in values), "only nulls")

        # The stale-feeds table shows both feeds, cryo stale.
        table = next(t["query"] for p in d["panels"] if p["type"] == "table"
                     for t in p["targets"])
        rows = {}
        for s in self.query(expand(table)):
            cols = s["columns"]
            for row in s["values"]:
                rows[(s["tags"]["agent"], s["tags"]["feed"])] = dict(zip(cols, row))
        self.assertEqual(set(rows), {("observatory.agent1", "temps"), ("cryo", "hk")})
        self.assertTrue(rows[("cryo", "hk")]["stale"])
        self.assertEqual(rows[("observatory.agent1", "temps")]["accepted"], 6)
        self.assertEqual(rows[("observatory.agent1", "temps")]["written"], 6)


if __name__ == "__main__":
    unittest.main()
