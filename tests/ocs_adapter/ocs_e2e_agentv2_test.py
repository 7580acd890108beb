#!/usr/bin/python3
"""End to end: the adapter as OCS's InfluxDBAgentv2. The site config's
instance says 'agent-class': 'InfluxDBAgentv2' with the v2 agent's
arguments only (--initial-state, --protocol, --gzip); the InfluxDB settings
come from INFLUXDB_V2_URL / _ORG / _BUCKET and INFLUXDB_V2_TOKEN_FILE, as a
Docker deployment of the Python agent sets them. The server is the InfluxDB 2
stand-in (tests/support/influx_v2v3_standin.py) in front of a real influxd.

AgentV2Test: get_agent_class (and get_api, the heartbeat feed) answer
InfluxDBAgentv2; two fake OCS agents' feeds land in the bucket the embedded
publisher created through /api/v2/buckets, written through /api/v2/write
with the token; the token is in no log.
AgentV2SettingsTest: the v1 agent's --host in a v2 instance, or no
INFLUXDB_V2_URL, stop the adapter at start with exit 2 and a message that
names the setting, never the token.

Run: /usr/bin/python3 tests/ocs_adapter/ocs_e2e_agentv2_test.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocs_e2e  # noqa: E402
from ocs_e2e import Stack, WampThread, blocks_of, free_port, read_counts, wait_until  # noqa: E402

TOKEN = "v2-test-token-0f9a8b"
ORG = "ocs"
BUCKET = "ocs_v2_feeds"
SITE_ARGUMENTS = [["--initial-state", "record"], ["--protocol", "line"], ["--gzip", True]]
AGENTS = {
    "observatory.fake-data1": ("msgpack", "false_temperatures", 3),
    "observatory.fake-data2": ("json", "other_temps", 2),
}


def v2_environment(stack, url, **overrides):
    """Our environment without any InfluxDB setting, plus the OCS v2 agent's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFLUXDB")}
    token_file = stack.path("influx-token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    env.update(INFLUXDB_V2_URL=url, INFLUXDB_V2_ORG=ORG, INFLUXDB_V2_BUCKET=BUCKET,
               INFLUXDB_V2_TOKEN_FILE=token_file, INFLUXDB_V2_TIMEOUT="10000")
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class AgentV2Test(ocs_e2e.E2ETestCase):

    def setUp(self):
        self.stack = Stack("agentv2")
        self.subscriber = None
        s = self.stack
        s.start_influxd()
        url = s.start_standin("v2", TOKEN, ORG)
        s.start_router()
        s.start_adapter(agent_class="InfluxDBAgentv2", site_arguments=SITE_ARGUMENTS,
                        env=v2_environment(s, url))

    def tearDown(self):
        if self.subscriber is not None:
            self.subscriber.close()
        codes = self.stack.stop(failed=self.failed())
        self.assertEqual(codes.get("adapter"), 0, codes)

    def test_feeds_land_in_the_bucket(self):
        s = self.stack
        self.assertEqual(s.client.get_agent_class(), "InfluxDBAgentv2")
        self.assertEqual(s.client.get_api()["agent_class"], "InfluxDBAgentv2")
        session = wait_until(lambda: (lambda st: st.get("status") == "running" and st)(
            s.session_status()), 10, what="record running")
        self.assertEqual(session["op_name"], "record")
        # The heartbeat feed names the class too.
        self.subscriber = WampThread(s.ws_url, "msgpack")
        self.subscriber.subscribe(ocs_e2e.ADAPTER_ADDRESS + ".feeds.heartbeat")
        for address, (_, feed_name, _) in AGENTS.items():
            self.subscriber.subscribe("%s.feeds.%s" % (address, feed_name))
        heartbeat = wait_until(
            lambda: [a for _, t, a, _ in self.subscriber.snapshot() if t.endswith(".heartbeat")],
            5, what="a heartbeat")[0]
        message_and_feed = heartbeat[0] if len(heartbeat) == 1 else heartbeat
        self.assertEqual(message_and_feed[1]["agent_class"], "InfluxDBAgentv2")

        agents = {}
        for address, (serializer, feed_name, channels) in AGENTS.items():
            agents[address] = s.start_agent(
                address, "--serializer", serializer, "--feed-name", feed_name,
                "--channels", str(channels), "--rate", "40", "--duration", "2.0",
                "--buffer-time", "0.3", "--extra-columns")
        for address, (proc, _) in agents.items():
            self.assertEqual(proc.wait(30), 0, "%s exit code" % address)
        counts = {a: read_counts(path) for a, (_, path) in agents.items()}
        for address, c in counts.items():
            wait_until(lambda: len(s.influx.points(address, BUCKET)) >= c["points"], 20,
                       what="%d points of %s in bucket %s" % (c["points"], address, BUCKET))
        time.sleep(0.5)
        self.assertEqual([m for m in s.influx.measurements(BUCKET) if m != "publisher_stats"],
                         sorted(AGENTS))
        captured = self.subscriber.snapshot()
        for address, (_, feed_name, _) in AGENTS.items():
            rows = s.influx.points(address, BUCKET)
            self.assertEqual(len(rows), counts[address]["points"], address)
            self.assertTrue(all(r["feed"] == feed_name for r in rows))
            by_time = {r["time"]: r for r in rows}
            for feed, block in blocks_of(captured, "%s.feeds.%s" % (address, feed_name)):
                for i, t in enumerate(block["timestamps"]):
                    row = by_time[int(t * 1e9)]
                    for field, column in block["data"].items():
                        self.assertEqual(row[field], column[i], "%s %s at %r" % (address, field, t))

        # Through the v2 API: the bucket looked up and created, then written.
        log = s.standin_log()
        paths = [(status, path.split("?")[0]) for status, _, path in log]
        self.assertIn((201, "/api/v2/buckets"), paths, log)
        writes = [(status, lines) for status, lines, path in log
                  if path.startswith("/api/v2/write")]
        self.assertTrue(writes, log)
        self.assertTrue(all(status == 204 for status, _ in writes), writes)
        total = sum(c["points"] for c in counts.values())
        self.assertGreaterEqual(sum(lines for _, lines in writes), total)
        self.assertFalse([p for _, p in paths if p == "/write"], "nothing through the v1 API")

        data = s.session_status()["data"]
        self.assertIs(data["connected"], True)
        self.assertEqual(data["points_dropped"], 0)
        for text in (s.adapter.stderr(), s.adapter.stdout(), repr(data)):
            self.assertNotIn(TOKEN, text)
        sys.stderr.write("AgentV2Test: %d points through /api/v2/write in %d requests\n"
                         % (total, len(writes)))


class AgentV2SettingsTest(ocs_e2e.E2ETestCase):
    """Refused at start: no router, InfluxDB or stand-in is reached."""

    def setUp(self):
        self.stack = Stack("agentv2_settings")
        self.stack.router_port = free_port()  # nothing listens: never reached

    def tearDown(self):
        self.stack.stop(failed=self.failed())

    def start(self, site_arguments, **env):
        s = self.stack
        p = s.start_adapter(agent_class="InfluxDBAgentv2", site_arguments=site_arguments,
                            env=v2_environment(s, "http://127.0.0.1:%d" % free_port(), **env),
                            wait_registered=False)
        self.assertEqual(p.wait(20), 2, p.stderr()[-2000:])
        self.assertNotIn(TOKEN, p.stderr() + p.stdout())
        return p.stderr()

    def test_v1_server_argument_is_refused(self):
        err = self.start(SITE_ARGUMENTS + [["--host", "influxdb"]])
        self.assertIn("--host is an InfluxDBAgent (InfluxDB 1.x) argument", err)
        self.assertIn("INFLUXDB_V2_URL", err)

    def test_missing_url_is_named(self):
        err = self.start(SITE_ARGUMENTS, INFLUXDB_V2_URL=None)
        self.assertIn("INFLUXDB_V2_URL", err)

    def test_token_from_the_environment_is_never_printed(self):
        # A bad timeout after a token given inline: the error names the
        # variable, not the token.
        err = self.start(SITE_ARGUMENTS, INFLUXDB_V2_TOKEN_FILE=None, INFLUXDB_V2_TOKEN=TOKEN,
                         INFLUXDB_V2_TIMEOUT="soon")
        self.assertIn("INFLUXDB_V2_TIMEOUT", err)


if __name__ == "__main__":
    ocs_e2e.main()
