#!/usr/bin/python3
"""End to end: two adapters on one router split a site's feeds with
--feeds / --exclude-feeds. Four fake OCS agents publish; adapter
`influx-lakeshore` records `observatory.lakeshore*.*`, adapter `influx-rest`
everything else (`--exclude-feeds observatory.lakeshore*.*`), both into one
real influxd. Every agent's points land (the count per measurement equals
the agent's own tally), and each adapter took exactly its share: its
publisher accepted exactly the points of its agents (InfluxDB would merge a
point written twice, so "nothing twice" is read from the adapters' counts),
and its session data shows the filter and counts the rest as skipped.

Run: /usr/bin/python3 tests/ocs_adapter/ocs_e2e_split_test.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocs_e2e  # noqa: E402
from ocs_e2e import OCSClient, Stack, read_counts, wait_until  # noqa: E402

PATTERN = "observatory.lakeshore*.*"
AGENTS = {
    # address: (serializer, feed name, channels, recorded by)
    "observatory.lakeshore1": ("msgpack", "temperatures", 3, "influx-lakeshore"),
    "observatory.lakeshore240": ("json", "temperatures", 2, "influx-lakeshore"),
    "observatory.fake-data1": ("msgpack", "false_temperatures", 2, "influx-rest"),
    "observatory.bolo": ("json", "detector_temps", 4, "influx-rest"),
}
ADAPTERS = {
    "influx-lakeshore": ["--feeds", PATTERN],
    "influx-rest": ["--exclude-feeds", PATTERN],
}


class SplitTest(ocs_e2e.E2ETestCase):

    def setUp(self):
        self.stack = Stack("split")
        s = self.stack
        s.start_influxd()
        s.start_router()
        self.clients = {}
        for instance, flags in ADAPTERS.items():
            s.start_adapter(initial_state="record", instance_id=instance, extra=flags)
            self.clients[instance] = OCSClient(s.http_url, "observatory." + instance,
                                               http_timeout=30)

    def tearDown(self):
        codes = self.stack.stop(failed=self.failed())
        for instance in ADAPTERS:
            self.assertEqual(codes.get("adapter-" + instance), 0, codes)

    def data(self, instance):
        return self.clients[instance].status("record")[2].get("data", {})

    def test_two_adapters_split_the_feeds(self):
        s = self.stack
        for instance in ADAPTERS:
            wait_until(lambda: self.clients[instance].status("record")[2].get("status")
                       == "running", 10, what="%s recording" % instance)
        agents = {}
        for address, (serializer, feed_name, channels, _) in AGENTS.items():
            agents[address] = s.start_agent(
                address, "--serializer", serializer, "--feed-name", feed_name,
                "--channels", str(channels), "--rate", "40", "--duration", "2.0",
                "--buffer-time", "0.3", "--extra-columns")
        for address, (proc, _) in agents.items():
            self.assertEqual(proc.wait(30), 0, "%s exit code" % address)
        counts = {address: read_counts(path)["points"] for address, (_, path) in agents.items()}
        share = {instance: sum(n for a, n in counts.items() if AGENTS[a][3] == instance)
                 for instance in ADAPTERS}
        total = sum(counts.values())
        self.assertTrue(all(n > 40 for n in counts.values()), counts)

        # Nothing missing: every agent's points are in InfluxDB.
        for address, n in counts.items():
            wait_until(lambda: len(s.influx.points(address)) >= n, 20,
                       what="%d points of %s in InfluxDB" % (n, address))
        time.sleep(0.5)
        self.assertEqual([m for m in s.influx.measurements() if m != "publisher_stats"],
                         sorted(AGENTS))
        for address, n in counts.items():
            self.assertEqual(len(s.influx.points(address)), n, address)

        # Nothing twice: each adapter accepted exactly its agents' points and
        # skipped exactly the others'.
        for instance, flags in ADAPTERS.items():
            with self.subTest(adapter=instance):
                data = wait_until(lambda: (lambda d: d.get("points_written") == share[instance]
                                           and d)(self.data(instance)),
                                  20, what="%s to write its share" % instance)
                self.assertEqual(data["points_accepted"], share[instance])
                self.assertEqual(data["points_dropped"], 0)
                f = data["feed_filter"]
                expect_feeds = [PATTERN] if flags[0] == "--feeds" else []
                expect_exclude = [PATTERN] if flags[0] == "--exclude-feeds" else []
                self.assertEqual(f["feeds"], expect_feeds)
                self.assertEqual(f["exclude_feeds"], expect_exclude)
                self.assertEqual(f["points_skipped"], total - share[instance])
                self.assertGreater(f["publications_skipped"], 0)
        self.assertEqual(sum(share.values()), total)
        sys.stderr.write("SplitTest: %d points of %d agents, %s\n"
                         % (total, len(AGENTS), share))


if __name__ == "__main__":
    ocs_e2e.main()
