#!/usr/bin/python3
"""End to end: what the OCS adapter does NOT write, and what it survives.

- IdleStateTest: `--initial-state idle` in the site config: nothing is
  recorded until `start record`; feed data arriving before is dropped and
  counted (session data `points_not_recording`, once a session exists), and
  never reaches InfluxDB; what arrives after the start lands exactly.
- NotRecordedTest: a feed with agg_params.exclude_influx and every heartbeat
  (record false: the fake agents' and the adapter's own) leave nothing in
  InfluxDB, while a recorded feed next to them lands exactly.
- MalformedEventsTest: garbage published on `observatory.bad.feeds.x` (by
  msgpack and json clients) is counted in `data.events_malformed`, one per
  event; the adapter stays up, answers, and a good feed keeps landing.

Run: /usr/bin/python3 tests/ocs_adapter/ocs_e2e_ingest_test.py [IdleStateTest|...]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocs_e2e  # noqa: E402
from ocs_e2e import ADAPTER_ADDRESS, OK, read_counts, wait_until  # noqa: E402

AGENT_ARGS = ("--rate", "20", "--channels", "2", "--duration", "2", "--buffer-time", "0.3",
              "--extra-columns")


class IngestTestBase(ocs_e2e.AdapterPerTestCase):
    def run_agent(self, address, *extra):
        proc, count_file = self.stack.start_agent(address, *(AGENT_ARGS + extra))
        return proc, count_file

    def finish(self, proc, count_file):
        self.assertEqual(proc.wait(30), 0, "%s exit code" % proc.name)
        counts = read_counts(count_file)
        self.assertGreater(counts["points"], 10)
        return counts

    def assert_landed_exactly(self, address, counts):
        influx = self.stack.influx
        wait_until(lambda: len(influx.points(address)) >= counts["points"], 20,
                   what="%d points of %s" % (counts["points"], address))
        time.sleep(0.5)
        rows = influx.points(address)
        self.assertEqual(len(rows), counts["points"], address)
        for field, tally in counts["fields"].items():
            values = [r[field] for r in rows if r[field] is not None]
            self.assertEqual(len(values), tally["count"], field)
            self.assertAlmostEqual(sum(values), tally["sum"], places=6, msg=field)
        self.assertEqual(min(r["time"] for r in rows), int(counts["min_timestamp"] * 1e9))
        self.assertEqual(max(r["time"] for r in rows), int(counts["max_timestamp"] * 1e9))

    def data_measurements(self):
        return [m for m in self.stack.influx.measurements() if m != "publisher_stats"]


class IdleStateTest(IngestTestBase):
    initial_state = "idle"

    def test_nothing_recorded_before_start(self):
        s = self.stack
        self.assertEqual(self.client.status("record"), [OK, "No session active.", {}])
        early = self.finish(*self.run_agent("observatory.early", "--serializer", "json"))
        # The adapter got all of it (the agent's last call came after its
        # publications); let its ingest queue settle.
        time.sleep(1.0)
        # Not observable yet: no session exists.
        self.assertEqual(self.client.status("record"), [OK, "No session active.", {}])
        self.assertEqual(self.data_measurements(), [])

        reply = self.client.start("record")
        self.assertEqual(reply[:2], [OK, 'Started process "record".'])
        self.assertEqual(reply[2]["session_id"], 0)
        data = self.session_data()
        # Every point published while not recording was dropped and counted.
        self.assertEqual(data["points_not_recording"], early["points"], data)
        self.assertGreaterEqual(data["points_dropped"], early["points"], data)
        self.assertEqual(data["points_accepted"], 0, data)
        self.assertGreaterEqual(data["events_received"], early["messages"], data)
        self.assertEqual(data["events_malformed"], 0, data)

        late = self.finish(*self.run_agent("observatory.late", "--serializer", "msgpack"))
        self.assert_landed_exactly("observatory.late", late)
        self.assertEqual(self.data_measurements(), ["observatory.late"],
                         "nothing of the data published before the start")
        data = self.session_data()
        self.assertEqual(data["points_not_recording"], early["points"])
        self.assertEqual(data["points_accepted"], late["points"])
        self.assertEqual(s.session_status()["status"], "running")


class NotRecordedTest(IngestTestBase):
    def test_excluded_feed_and_heartbeats_are_not_written(self):
        wait_until(lambda: self.stack.session_status().get("status") == "running", 10,
                   what="record running")
        good = self.run_agent("observatory.good", "--serializer", "msgpack")
        excluded = self.run_agent("observatory.excluded", "--serializer", "json",
                                  "--exclude-influx", "--feed-name", "private")
        # A feed that is not recorded at all (record false), as an agent's
        # non-aggregated feed: published by hand below.
        c = self.wamp_client()
        for i in range(3):
            c.publish("observatory.side.feeds.status", [
                {"b": {"block_name": "b", "timestamps": [time.time()], "data": {"x": [1.0]}}},
                {"agent_address": "observatory.side", "agg_params": {}, "feed_name": "status",
                 "address": "observatory.side.feeds.status", "record": False,
                 "session_id": "1", "agent_class": "SideAgent"}])
        good_counts = self.finish(*good)
        excluded_counts = self.finish(*excluded)
        self.assertGreater(excluded_counts["points"], 10)
        self.assert_landed_exactly("observatory.good", good_counts)
        time.sleep(1.0)  # heartbeats keep coming meanwhile
        self.assertEqual(self.data_measurements(), ["observatory.good"])
        feeds = self.stack.influx.rows('SHOW TAG VALUES FROM "observatory.good" '
                                       'WITH KEY = "feed"')
        self.assertEqual([r["value"] for r in feeds], ["false_temperatures"])
        for m in ("observatory.excluded", "observatory.side", ADAPTER_ADDRESS):
            self.assertEqual(self.stack.influx.points(m), [], m)
        data = self.session_data()
        self.assertEqual(data["events_malformed"], 0)
        self.assertEqual(data["points_accepted"], good_counts["points"], data)


def _deep(levels):
    v = [1.0]
    for _ in range(levels):
        v = [v]
    return v


class MalformedEventsTest(IngestTestBase):
    TOPIC = "observatory.bad.feeds.x"

    def garbage(self):
        """(description, args, kwargs) of publications that are not OCS feeds."""
        t = time.time()
        feed = {"agent_address": "observatory.bad", "agg_params": {}, "feed_name": "x",
                "address": self.TOPIC, "record": True, "session_id": "1",
                "agent_class": "BadAgent"}

        def block(**over):
            b = {"block_name": "b", "timestamps": [t], "data": {"v": [1.0]}}
            b.update(over)
            return [{"b": b}, feed]
        return [
            ("no arguments", (), {}),
            ("only kwargs", (), {"message": {}, "feed": feed}),
            ("not a list", ("garbage",), {}),
            ("a dict", ({"message": {}, "feed": feed},), {}),
            ("a number", (42,), {}),
            ("a list of 3", ([{}, feed, "extra"],), {}),
            ("a list of 1", ([feed],), {}),
            ("an empty list", ([],), {}),
            ("feed not a dict", ([{}, "feed"],), {}),
            ("feed without feed_name", ([{}, {"agent_address": "observatory.bad",
                                              "record": True}],), {}),
            ("message not a dict", (["message", feed],), {}),
            ("block not a dict", ([{"b": "block"}, feed],), {}),
            ("mismatched lengths (more times)",
             (block(timestamps=[t, t + 1, t + 2], data={"v": [1.0]}),), {}),
            ("mismatched lengths (more values)",
             (block(timestamps=[t], data={"v": [1.0, 2.0], "w": [1]}),), {}),
            ("mismatched columns", (block(timestamps=[t, t + 1],
                                          data={"v": [1.0, 2.0], "w": [1]}),), {}),
            ("a string timestamp", (block(timestamps=["soon"]),), {}),
            ("timestamps not a list", (block(timestamps=t),), {}),
            ("a null timestamp", (block(timestamps=[None]),), {}),
            ("data not a dict", (block(data=[1.0]),), {}),
            ("a column not a list", (block(data={"v": 1.0}),), {}),
            ("a list as a value", (block(data={"v": [[1.0]]}),), {}),
            ("a dict as a value", (block(data={"v": [{"a": 1}]}),), {}),
            ("binary as a value", (block(data={"v": [b"\x00\x01"]}),), {}),
            ("deep nesting inside", (block(data={"v": [_deep(200)]}),), {}),
            ("deep nesting at the top", (_deep(300),), {}),
            ("deep dicts", ([_deep_dict(150), feed],), {}),
        ]

    def test_garbage_is_counted_and_good_feeds_flow(self):
        wait_until(lambda: self.stack.session_status().get("status") == "running", 10,
                   what="record running")
        before = self.session_data()["events_malformed"]
        good = self.run_agent("observatory.good2", "--serializer", "msgpack")
        published = 0
        for serializer in ("msgpack", "json"):
            c = self.wamp_client(serializer)
            for what, args, kwargs in self.garbage():
                with self.subTest(serializer=serializer, garbage=what):
                    c.publish(self.TOPIC, *args, **kwargs)
                    published += 1
                    self.assertTrue(self.stack.adapter.alive(), "adapter died on: " + what)
        good_counts = self.finish(*good)
        self.assert_landed_exactly("observatory.good2", good_counts)
        wait_until(lambda: self.session_data()["events_malformed"] - before >= published, 10,
                   what="%d malformed events counted" % published)
        time.sleep(0.5)
        data = self.session_data()
        self.assertEqual(data["events_malformed"] - before, published,
                         "one count per malformed event")
        self.assertEqual(self.data_measurements(), ["observatory.good2"])
        self.assertTrue(self.stack.adapter.alive())
        self.assertEqual(self.client.get_agent_class(), "InfluxDBAgent")
        self.assertEqual(self.stack.session_status()["status"], "running")
        # It warns, but not once per event (one line per 10 s at most, for
        # every refused publication: the dead letters' report).
        warnings = self.stack.adapter.stderr().count("publication(s) since the last report")
        self.assertGreaterEqual(warnings, 1)
        self.assertLessEqual(warnings, 3)


def _deep_dict(levels):
    v = {"a": 1.0}
    for _ in range(levels):
        v = {"b": v}
    return v


if __name__ == "__main__":
    ocs_e2e.main()
