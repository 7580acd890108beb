#!/usr/bin/python3
"""The OCS peers against the test router: fake_agent's feeds arrive at a
wildcard subscriber in the exact OCS shape, and ocs_client drives the fake
agent's operations through the HTTP bridge.

Run: /usr/bin/python3 tests/ocs_peers/peers_test.py
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "wamp_router"))

from autobahn.wamp.types import SubscribeOptions  # noqa: E402

from ocs_client import ERROR, OK, TIMEOUT, ControlClientError, OCSClient  # noqa: E402
from router import RouterSubprocess  # noqa: E402
from wamp_session import join  # noqa: E402

PYTHON = "/usr/bin/python3"
FAKE_AGENT = os.path.join(HERE, "fake_agent.py")
OCS_CLIENT = os.path.join(HERE, "ocs_client.py")
FEED_KEYS = {"agent_address", "agg_params", "feed_name", "address", "record",
             "session_id", "agent_class"}
SESSION_KEYS = {"session_id", "op_name", "op_code", "cred_level", "status", "degraded",
                "success", "start_time", "end_time", "data", "messages"}


class Agent:
    """fake_agent.py as a child process."""

    def __init__(self, url, *args):
        self.proc = subprocess.Popen([PYTHON, FAKE_AGENT, "--url", url] + list(args),
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "READY":
            self.stop()
            raise RuntimeError("fake_agent did not start")

    def wait(self, timeout=20):
        rc = self.proc.wait(timeout)
        self.proc.stdout.close()
        return rc

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        return self.proc.returncode


class PeersTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.router = RouterSubprocess(log_level="warning")
        cls.router.start()

    @classmethod
    def tearDownClass(cls):
        cls.router.stop()


class FeedShapeTest(PeersTestBase):
    def test_wildcard_subscriber_sees_ocs_feeds(self):
        with tempfile.TemporaryDirectory(prefix="peers_test_") as tmp:
            asyncio.run(self._feeds(tmp))

    async def _feeds(self, tmp):
        counts = {name: os.path.join(tmp, name + ".json") for name in ("a", "b", "c")}
        events = []
        subs = []
        for ser in ("msgpack", "json"):
            s = await join(self.router.ws_url, "test_realm", ser)
            subs.append(s)

            def on_event(*args, details=None, ser=ser, **kwargs):
                events.append((ser, args, kwargs, details.topic))
            await s.subscribe(on_event, "observatory..feeds.",
                              options=SubscribeOptions(match="wildcard", details=True))
        agents = []
        try:
            agents.append(await asyncio.to_thread(
                Agent, self.router.ws_url, "--address", "observatory.fake-data1",
                "--rate", "20", "--channels", "3", "--duration", "2.5", "--extra-columns",
                "--count-file", counts["a"], "--serializer", "msgpack"))
            agents.append(await asyncio.to_thread(
                Agent, self.router.ws_url, "--address", "observatory.fake-data2",
                "--rate", "5", "--channels", "2", "--duration", "2.5", "--exclude-influx",
                "--feed-name", "other_feed", "--count-file", counts["b"], "--serializer", "json"))
            agents.append(await asyncio.to_thread(
                Agent, self.router.ws_url, "--address", "observatory.fake-data3",
                "--rate", "40", "--channels", "4", "--duration", "1.3", "--extra-columns",
                "--publication-points", "7", "--count-file", counts["c"]))
            for a in agents:
                self.assertEqual(await asyncio.to_thread(a.wait), 0)
        finally:
            for a in agents:
                if a.proc.poll() is None:
                    a.stop()
        await asyncio.sleep(0.2)
        for s in subs:
            await s.close()

        landed = {}  # (subscriber serializer, address) -> per-field count/sum
        sizes = {}  # (subscriber serializer, address) -> points per publication
        heartbeats = {}
        for ser, args, kwargs, topic in events:
            self.assertEqual(kwargs, {})
            self.assertEqual(len(args), 1, "ONE positional argument")
            self.assertIsInstance(args[0], list)
            self.assertEqual(len(args[0]), 2, "[message, feed]")
            message, feed = args[0]
            self.assertEqual(set(feed), FEED_KEYS)
            self.assertEqual(feed["address"], topic)
            self.assertEqual(topic, "%s.feeds.%s" % (feed["agent_address"], feed["feed_name"]))
            self.assertEqual(feed["agent_class"], "FakeDataAgent")
            self.assertIsInstance(feed["session_id"], str)
            float(feed["session_id"])
            if feed["feed_name"] == "heartbeat":
                self.assertIs(feed["record"], False)
                self.assertEqual(set(message), {"acq", "delay_task"})
                self.assertIn(message["acq"], (2, 3, 4, 5))
                heartbeats[(ser, feed["agent_address"])] = True
                continue
            self.assertIs(feed["record"], True)
            if feed["agent_address"] == "observatory.fake-data2":
                self.assertEqual(feed["agg_params"], {"frame_length": 60, "exclude_influx": True})
            else:
                self.assertEqual(feed["agg_params"], {"frame_length": 60})
            self.assertEqual(list(message), ["temps"])
            block = message["temps"]
            self.assertEqual(set(block), {"block_name", "timestamps", "data"})
            self.assertEqual(block["block_name"], "temps")
            n = len(block["timestamps"])
            self.assertGreater(n, 0)
            sizes.setdefault((ser, feed["agent_address"]), []).append(n)
            for t in block["timestamps"]:
                self.assertIsInstance(t, float)
            acc = landed.setdefault((ser, feed["agent_address"]), {"points": 0, "fields": {}})
            acc["points"] += n
            for field, values in block["data"].items():
                self.assertEqual(len(values), n)
                f = acc["fields"].setdefault(field, {"count": 0, "sum": 0})
                f["count"] += len(values)
                f["sum"] += sum(values)
                expected_type = {"counter": int, "valid": bool}.get(field, float)
                for v in values:
                    self.assertIs(type(v), expected_type, field)
        for ser in ("msgpack", "json"):
            for name, address in (("a", "observatory.fake-data1"), ("b", "observatory.fake-data2"),
                                  ("c", "observatory.fake-data3")):
                with open(counts[name]) as f:
                    published = json.load(f)
                self.assertTrue(heartbeats.get((ser, address)), (ser, address))
                got = landed[(ser, address)]
                self.assertEqual(got["points"], published["points"])
                self.assertGreater(published["points"], 5)
                self.assertEqual(set(got["fields"]), set(published["fields"]))
                for field, f in published["fields"].items():
                    self.assertEqual(got["fields"][field]["count"], f["count"])
                    self.assertAlmostEqual(got["fields"][field]["sum"], f["sum"], places=6)
            # --publication-points 7: 1.3 s at 40 Hz is 52 samples, 7 x 7 + 3.
            self.assertEqual(sizes[(ser, "observatory.fake-data3")], [7] * 7 + [3])
        self.assertEqual(set(landed[("json", "observatory.fake-data1")]["fields"]),
                         {"channel_00", "channel_01", "channel_02", "counter", "valid"})


class OpsThroughBridgeTest(PeersTestBase):
    def setUp(self):
        self.agent = Agent(self.router.ws_url, "--address", "observatory.fake-ops",
                           "--idle", "--rate", "5", "--serializer", "msgpack")
        self.client = OCSClient(self.router.http_url, "observatory.fake-ops")

    def tearDown(self):
        self.assertEqual(self.agent.stop(), 0)

    def test_get_api(self):
        api = self.client.get_api()
        self.assertEqual(api["agent_class"], "FakeDataAgent")
        self.assertEqual(api["instance_pid"], self.agent.proc.pid)
        self.assertEqual([p[0] for p in api["processes"]], ["acq"])
        self.assertEqual([t[0] for t in api["tasks"]], ["delay_task"])
        name, session, info = api["processes"][0]
        self.assertEqual(session, {"op_name": "acq", "status": "no_history"})
        self.assertEqual(info["op_type"], "process")
        self.assertEqual(sorted(f[0] for f in api["feeds"]), ["false_temperatures", "heartbeat"])
        self.assertEqual(api["access_control"]["policy"], "none")
        self.assertEqual(self.client.get_agent_class(), "FakeDataAgent")
        self.assertEqual(self.client.get_processes(), api["processes"])

    def test_process_lifecycle(self):
        c = self.client
        self.assertEqual(c.status("acq"), [OK, "No session active.", {}])
        self.assertEqual(c.wait("acq", timeout=1), [OK, "Idle.", {}])
        self.assertEqual(c.stop("acq"), [ERROR, "No session active.", {}])
        status, msg, session = c.start("acq")
        self.assertEqual((status, msg), (OK, 'Started process "acq".'))
        self.assertEqual(set(session), SESSION_KEYS)
        self.assertEqual(session["session_id"], 0)
        status, msg, session = c.start("acq")
        self.assertEqual((status, msg), (ERROR, 'Operation "acq" already in progress.'))
        time.sleep(0.3)
        status, msg, session = c.status("acq")
        self.assertEqual((status, msg, session["status"], session["op_code"]),
                         (OK, "Session active.", "running", 3))
        self.assertEqual(c.wait("acq", timeout=0.2)[0], TIMEOUT)
        self.assertEqual(c.wait("acq", timeout=-1)[0], TIMEOUT)
        self.assertEqual(c.abort("acq")[0], ERROR)
        status, msg, session = c.stop("acq")
        self.assertEqual(status, OK)
        status, msg, session = c.wait("acq", timeout=5)
        self.assertEqual((status, msg), (OK, 'Operation "acq" is currently not running (SUCCEEDED).'))
        self.assertEqual((session["status"], session["success"], session["op_code"]), ("done", True, 5))
        self.assertIn('Status is now "done".', [m[1] for m in session["messages"]])
        self.assertEqual(c.stop("acq")[:2], [ERROR, "The operation is already done"])
        self.assertEqual(c.start("acq")[2]["session_id"], 1)
        self.assertEqual(c.stop("acq")[0], OK)

    def test_task_params_and_errors(self):
        c = self.client
        self.assertEqual(c.start("nope"), [ERROR, 'No task or process called "nope"', {}])
        self.assertEqual(c.start("delay_task", bogus=1),
                         [ERROR, "params included unexpected values: ['bogus']", {}])
        status, msg, session = c.start("delay_task", delay="x")
        self.assertEqual((status, session), (ERROR, {}))
        self.assertTrue(msg.startswith("Param 'delay'="), msg)
        self.assertEqual(c.start("delay_task", delay=0.2)[0], OK)
        # the positional form [action, op, params, timeout] works too
        positional = OCSClient(self.router.http_url, "observatory.fake-ops",
                               positional_timeout=True)
        status, msg, session = positional.wait("delay_task", 5)
        self.assertEqual((status, session["success"]), (OK, True))
        self.assertEqual(c.start("delay_task", delay=5.0, succeed=False)[0], OK)
        self.assertEqual(c.abort("delay_task")[0], OK)
        status, msg, session = c.wait("delay_task", timeout=5)
        self.assertEqual((status, session["success"], session["op_code"]), (OK, False, 6))

    def test_raw_bridge_reply_shape_and_errors(self):
        status, reply = self.client.call_raw("observatory.fake-ops.ops",
                                             ["status", "acq", {}, None], {})
        self.assertEqual((status, reply), (200, {"args": [[0, "No session active.", {}]],
                                                 "kwargs": {}}))
        with self.assertRaises(ControlClientError) as cm:
            OCSClient(self.router.http_url, "observatory.nobody").status("acq")
        self.assertEqual(cm.exception.args[0][4], "wamp.error.no_such_procedure")

    def test_cli(self):
        out = subprocess.run([PYTHON, OCS_CLIENT, "--http", self.router.http_url,
                              "observatory.fake-ops", "status", "acq"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout), [0, "No session active.", {}])
        out = subprocess.run([PYTHON, OCS_CLIENT, "--http", self.router.http_url,
                              "observatory.fake-ops", "start", "delay_task",
                              "--params", '{"bogus": 1}'],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
