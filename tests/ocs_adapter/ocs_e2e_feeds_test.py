#!/usr/bin/python3
"""End to end: two fake OCS agents (msgpack and json) publish through the WAMP
test router; the OCS adapter records them into a real influxd, with the core
publisher embedded (EmbeddedFeedsTest) or as a separate process
(PublisherFeedsTest). What lands must be exactly what the agents published:
per agent the number of points and the count and sum of every field equal the
agent's own tally; measurement = agent address, the one tag `feed=<name>`;
ints are InfluxDB integers and bools booleans; and every point's nanosecond
time is `int(t * 1e9)` of the float the agent published, with the same values
(captured by an autobahn subscriber on the feed topics).

Run: /usr/bin/python3 tests/ocs_adapter/ocs_e2e_feeds_test.py [EmbeddedFeedsTest|PublisherFeedsTest]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocs_e2e  # noqa: E402
from ocs_e2e import Stack, WampThread, blocks_of, read_counts, wait_until  # noqa: E402

AGENTS = {
    # address: (serializer, feed name, channels)
    "observatory.fake-data1": ("msgpack", "false_temperatures", 3),
    "observatory.fake-data2": ("json", "other_temps", 2),
}


class FeedsLandExactly:
    embedded = True

    def setUp(self):
        self.stack = Stack(self.id().split(".")[-2])
        self.subscriber = None
        s = self.stack
        s.start_influxd()
        s.start_router()
        if not self.embedded:
            s.start_publisher()
        s.start_adapter(initial_state="record", embedded=self.embedded)

    def tearDown(self):
        if self.subscriber is not None:
            self.subscriber.close()
        codes = self.stack.stop(failed=self.failed())
        # A clean SIGTERM ends the adapter (and the publisher) with 0.
        self.assertEqual(codes.get("adapter"), 0, codes)
        if not self.embedded:
            self.assertEqual(codes.get("publisher"), 0, codes)

    def test_feeds_land_exactly(self):
        s = self.stack
        started = time.monotonic()
        session = wait_until(lambda: s.session_status().get("status") == "running"
                             and s.session_status(), 10, what="record running")
        self.assertEqual(session["op_name"], "record")
        # Capture what the agents publish, to compare point by point.
        self.subscriber = WampThread(s.ws_url, "msgpack")
        for address, (_, feed_name, _) in AGENTS.items():
            self.subscriber.subscribe("%s.feeds.%s" % (address, feed_name))
        agents = {}
        for address, (serializer, feed_name, channels) in AGENTS.items():
            agents[address] = s.start_agent(
                address, "--serializer", serializer, "--feed-name", feed_name,
                "--channels", str(channels), "--rate", "40", "--duration", "2.5",
                "--buffer-time", "0.3", "--extra-columns")
        for address, (proc, _) in agents.items():
            self.assertEqual(proc.wait(30), 0, "%s exit code" % address)
        counts = {address: read_counts(path) for address, (_, path) in agents.items()}
        for address, c in counts.items():
            self.assertGreater(c["points"], 50, address)
            self.assertEqual(set(c["fields"]), {"channel_%02d" % k for k in range(
                AGENTS[address][2])} | {"counter", "valid"})

        # Everything lands (flush interval 200 ms).
        for address, c in counts.items():
            wait_until(lambda: len(s.influx.points(address)) >= c["points"], 20,
                       what="%d points of %s in InfluxDB" % (c["points"], address))
        time.sleep(0.5)  # anything extra (a duplicate) would show up now

        self.assertEqual(
            [m for m in s.influx.measurements() if m != "publisher_stats"],
            sorted(AGENTS), "one measurement per agent address, nothing else")
        captured = self.subscriber.snapshot()
        for address, (serializer, feed_name, _) in AGENTS.items():
            with self.subTest(agent=address, serializer=serializer):
                self.check_agent(address, feed_name, counts[address],
                                 blocks_of(captured, "%s.feeds.%s" % (address, feed_name)))
        # The session counts what went through.
        data = s.session_status()["data"]
        total = sum(c["points"] for c in counts.values())
        self.assertGreaterEqual(data["points_accepted"], total)
        self.assertEqual(data["events_malformed"], 0)
        self.assertEqual(data["points_dropped"], 0)
        self.assertIs(data["connected"], True)
        sys.stderr.write("%s: %d points of 2 agents verified in %.1f s\n"
                         % (type(self).__name__, total, time.monotonic() - started))

    def check_agent(self, address, feed_name, counts, blocks):
        influx = self.stack.influx
        # The one tag: feed=<feed_name>.
        tag_keys = [r["tagKey"] for r in influx.rows('SHOW TAG KEYS FROM "%s"' % address)]
        self.assertEqual(tag_keys, ["feed"])
        tag_values = influx.rows('SHOW TAG VALUES FROM "%s" WITH KEY = "feed"' % address)
        self.assertEqual([(r["key"], r["value"]) for r in tag_values], [("feed", feed_name)])
        # Field types: floats, an integer, a boolean.
        types = {r["fieldKey"]: r["fieldType"]
                 for r in influx.rows('SHOW FIELD KEYS FROM "%s"' % address)}
        expected_types = {f: "float" for f in counts["fields"]}
        expected_types.update(counter="integer", valid="boolean")
        self.assertEqual(types, expected_types)

        rows = influx.points(address)
        self.assertEqual(len(rows), counts["points"], "points of %s" % address)
        for field, tally in counts["fields"].items():
            values = [r[field] for r in rows if r[field] is not None]
            self.assertEqual(len(values), tally["count"], field)
            if field == "counter":
                self.assertTrue(all(type(v) is int for v in values))
                self.assertEqual(sum(values), tally["sum"], field)
            elif field == "valid":
                self.assertTrue(all(type(v) is bool for v in values))
                self.assertEqual(sum(values), tally["sum"], field)
            else:
                self.assertAlmostEqual(sum(values), tally["sum"], places=6, msg=field)
        self.assertTrue(all(r["feed"] == feed_name for r in rows))

        # Point by point against what the subscriber saw: time
        # int(t * 1e9) of the published float, the very same values.
        by_time = {r["time"]: r for r in rows}
        self.assertEqual(len(by_time), len(rows), "distinct timestamps")
        published = 0
        for feed, block in blocks:
            self.assertEqual(feed["agent_address"], address)
            for i, t in enumerate(block["timestamps"]):
                self.assertIsInstance(t, float)
                ns = int(t * 1e9)
                self.assertIn(ns, by_time, "published t=%r -> %d ns not in InfluxDB" % (t, ns))
                row = by_time[ns]
                for field, column in block["data"].items():
                    self.assertEqual(row[field], column[i], "%s at t=%r" % (field, t))
                    self.assertIs(type(row[field]), type(column[i]), field)
                published += 1
        self.assertEqual(published, counts["points"], "the subscriber saw every point")
        self.assertEqual(min(by_time), int(counts["min_timestamp"] * 1e9))
        self.assertEqual(max(by_time), int(counts["max_timestamp"] * 1e9))


class EmbeddedFeedsTest(FeedsLandExactly, ocs_e2e.E2ETestCase):
    embedded = True


class PublisherFeedsTest(FeedsLandExactly, ocs_e2e.E2ETestCase):
    embedded = False


if __name__ == "__main__":
    ocs_e2e.main()
