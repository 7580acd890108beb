#!/usr/bin/python3
"""End to end: the WAMP router dies (SIGKILL) under a publishing agent and
comes back on the same port 2 s later. The OCS adapter notices ("lost the
router"), rejoins and registers again ("registered"), its `.ops` and
management answer again through the new router, its record session goes on,
its heartbeat is published again, and:

- no point the adapter had accepted before the kill is missing from
  InfluxDB: the first agent's points in InfluxDB are exactly a prefix of the
  series it published (it publishes t = start + i / rate), at least as long
  as the adapter's points_accepted just before the kill, and no longer than
  the agent's own tally (points it tried to publish into the dying router
  are simply lost by the publisher, as with crossbar);
- every point the restarted agent published after the rejoin lands exactly.

Run: /usr/bin/python3 tests/ocs_adapter/ocs_e2e_router_restart_test.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocs_e2e  # noqa: E402
from ocs_e2e import ADAPTER_ADDRESS, OK, Stack, WampThread, read_counts, wait_until  # noqa: E402

ADDRESS = "observatory.fake-data1"
RATE = 20.0


class RouterRestartTest(ocs_e2e.E2ETestCase):
    def setUp(self):
        self.stack = Stack("RouterRestartTest")
        self.subscriber = None
        self.stack.start_influxd()
        self.stack.start_router()
        self.stack.start_adapter(initial_state="record")

    def tearDown(self):
        if self.subscriber is not None:
            self.subscriber.close()
        codes = self.stack.stop(failed=self.failed())
        self.assertEqual(codes.get("adapter"), 0, codes)

    def expected_times(self, counts, n):
        """The first n timestamps the fake agent publishes, in ns, computed
        as the agent does (t = start + i / rate) and as OCS converts them."""
        start = counts["min_timestamp"]
        return [int((start + i / RATE) * 1e9) for i in range(n)]

    def test_adapter_rejoins_and_loses_nothing_it_accepted(self):
        s = self.stack
        started = time.monotonic()
        wait_until(lambda: s.session_status().get("status") == "running", 10,
                   what="record running")
        first, first_file = s.start_agent(ADDRESS, "--rate", str(RATE), "--channels", "2",
                                          "--buffer-time", "0.2", "--extra-columns")
        wait_until(lambda: s.session_status()["data"]["points_accepted"] >= 30, 15,
                   what="30 points accepted")
        accepted_before_kill = s.session_status()["data"]["points_accepted"]
        port = s.router_port
        s.router.kill()
        killed = time.monotonic()
        s.adapter.wait_output(r"lost the router", 10)
        time.sleep(max(0.0, 2.0 - (time.monotonic() - killed)))
        s.start_router(port=port)
        self.assertEqual(s.router_port, port)
        # The first agent leaves with its router (its session ended); if it
        # did not notice, stop it.
        try:
            first.wait(10)
        except Exception:
            first.stop()
        first_counts = read_counts(first_file)

        s.adapter.wait_output(r"adapter: observatory\.influxagent registered", 30, count=2)
        rejoined = time.monotonic()
        # .ops and management answer through the new router; the record
        # session went on (same session, still running).
        status = s.client.status("record")
        self.assertEqual(status[:2], [OK, "Session active."])
        self.assertEqual(status[2]["session_id"], 0)
        self.assertEqual(status[2]["status"], "running")
        self.assertEqual(s.client.get_agent_class(), "InfluxDBAgent")
        # The heartbeat comes again.
        self.subscriber = WampThread(s.ws_url)
        self.subscriber.subscribe(ADAPTER_ADDRESS + ".feeds.heartbeat")
        wait_until(lambda: self.subscriber.snapshot(), 5, what="a heartbeat after the rejoin")

        second, second_file = s.start_agent(ADDRESS, "--rate", str(RATE), "--channels", "2",
                                            "--buffer-time", "0.2", "--extra-columns",
                                            "--duration", "2")
        self.assertEqual(second.wait(30), 0)
        second_counts = read_counts(second_file)
        self.assertGreater(second_counts["points"], 20)
        self.assertGreater(second_counts["min_timestamp"], first_counts["max_timestamp"])

        # Everything of the second run lands, and the first run's prefix.
        split_ns = int(second_counts["min_timestamp"] * 1e9)

        def split():
            rows = s.influx.points(ADDRESS)
            return ([r for r in rows if r["time"] < split_ns],
                    [r for r in rows if r["time"] >= split_ns])
        wait_until(lambda: len(split()[1]) >= second_counts["points"]
                   and len(split()[0]) >= accepted_before_kill, 20,
                   what="both runs in InfluxDB")
        time.sleep(0.5)
        before, after = split()

        # First run: a prefix of what the agent published, at least what the
        # adapter had accepted before the kill.
        times = sorted(r["time"] for r in before)
        k = len(times)
        self.assertGreaterEqual(k, accepted_before_kill,
                                "a point accepted before the kill is missing")
        self.assertLessEqual(k, first_counts["points"])
        self.assertEqual(times, self.expected_times(first_counts, k),
                         "the first run's points are not a gap-free prefix")
        by_time = {r["time"]: r for r in before}
        self.assertEqual([by_time[t]["counter"] for t in times], list(range(k)))

        # Second run: exactly the agent's tally.
        times = sorted(r["time"] for r in after)
        self.assertEqual(times, self.expected_times(second_counts, second_counts["points"]))
        for field, tally in second_counts["fields"].items():
            values = [r[field] for r in after if r[field] is not None]
            self.assertEqual(len(values), tally["count"], field)
            self.assertAlmostEqual(sum(values), tally["sum"], places=6, msg=field)

        self.assertTrue(s.adapter.alive())
        self.assertEqual(s.adapter.stderr().count("lost the router"), 1)
        sys.stderr.write("router down %.1f s until the adapter registered again; first run "
                         "%d of %d points kept (%d accepted before the kill), second run %d; "
                         "%.1f s in all\n"
                         % (rejoined - killed, k, first_counts["points"], accepted_before_kill,
                            second_counts["points"], time.monotonic() - started))


if __name__ == "__main__":
    ocs_e2e.main()
