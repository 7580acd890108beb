#!/usr/bin/python3
"""End to end: the OCS adapter's replies as OCS clients get them, through the
test router's HTTP caller bridge (as crossbar's), compared with
docs/ocs-protocol.md; and its heartbeat feed.

Every reply must travel as ONE positional result (`{"args": [reply],
"kwargs": {}}`), which OCSClient reads as args[0].

- OpsTest: the record process's life (status, start while running, wait
  with a timeout kwarg while running and when done, stop, stop again, start
  again), test_mode ending by itself, bad params / unknown op / abort /
  unknown action (texts as OCS's ParamHandler and OCSAgent write them), and
  get_api / get_tasks / get_processes / get_feeds / get_agent_class shapes.
- IdleOpsTest: `--initial-state idle`: no session, Idle., no_history.
- HeartbeatTest: `<address>.feeds.heartbeat`, one positional [message,
  feed], {"record": 3} while running, 5 after a clean stop, ~1 per second.

Run: /usr/bin/python3 tests/ocs_adapter/ocs_e2e_ops_test.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocs_e2e  # noqa: E402
from ocs_e2e import ADAPTER_ADDRESS, ERROR, OK, TIMEOUT, wait_until  # noqa: E402

SESSION_KEYS = {"session_id", "op_name", "op_code", "cred_level", "status", "degraded",
                "success", "start_time", "end_time", "data", "messages"}
FEED_KEYS = {"agent_address", "agg_params", "feed_name", "address", "record",
             "session_id", "agent_class"}
OP_INFO = {"blocking", "docstring", "op_type", "min_privs"}


class OpsTestBase(ocs_e2e.AdapterPerTestCase):
    # ----- helpers

    def raw(self, procedure, args, kwargs=None):
        """One bridge POST; asserts the one-positional-result shape."""
        status, body = self.client.call_raw(procedure, args, kwargs or {})
        self.assertEqual(status, 200, body)
        self.assertNotIn("error", body, body)
        self.assertEqual(set(body), {"args", "kwargs"})
        self.assertEqual(body["kwargs"], {})
        self.assertEqual(len(body["args"]), 1, "ONE positional result: %r" % (body,))
        return body["args"][0]

    def ops(self, action, params=None, **kwargs):
        """`<address>.ops` as OCSClient sends it: [action, op, params] and
        the kwargs {"password": None, ...}."""
        kwargs.setdefault("password", None)
        reply = self.raw(ADAPTER_ADDRESS + ".ops",
                         [action, "record", {} if params is None else params], kwargs)
        self.assertIsInstance(reply, list)
        self.assertEqual(len(reply), 3, reply)
        self.assertIn(reply[0], (OK, ERROR, TIMEOUT))
        self.assertIsInstance(reply[1], str)
        self.assertIsInstance(reply[2], dict)
        if reply[2]:
            self.check_session(reply[2])
        return reply

    def management(self, q):
        return self.raw(ADAPTER_ADDRESS, [q])

    def check_session(self, s):
        self.assertEqual(set(s), SESSION_KEYS, s)
        self.assertEqual(s["op_name"], "record")
        self.assertEqual(s["cred_level"], 1)
        self.assertIn(s["status"], ("starting", "running", "stopping", "done"))
        self.assertIsInstance(s["session_id"], int)
        self.assertIsInstance(s["start_time"], float)
        self.assertLess(abs(s["start_time"] - time.time()), 120)
        self.assertIsInstance(s["degraded"], bool)
        expected_code = {"starting": 2, "stopping": 4}.get(s["status"])
        if s["status"] == "running":
            expected_code = 8 if s["degraded"] else 3
        if s["status"] == "done":
            self.assertIsInstance(s["success"], bool)
            self.assertIsInstance(s["end_time"], float)
            self.assertGreaterEqual(s["end_time"], s["start_time"])
            expected_code = 5 if s["success"] else 6
        else:
            self.assertIsNone(s["success"])
            self.assertIsNone(s["end_time"])
        self.assertEqual(s["op_code"], expected_code, s)
        self.assertIsInstance(s["data"], dict)
        self.assertIs(type(s["data"].get("connected")), bool, s["data"])
        self.assertIsInstance(s["data"].get("last_updated"), float)
        for m in s["messages"]:
            self.assertEqual(len(m), 2)
            self.assertIsInstance(m[0], float)
            self.assertIsInstance(m[1], str)
        texts = [m[1] for m in s["messages"]]
        # Status only moves forward; each change is announced once.
        order = ["starting", "running", "stopping", "done"]
        announced = [t[len('Status is now "'):-2] for t in texts
                     if t.startswith('Status is now "')]
        self.assertEqual(announced, order[:order.index(s["status"]) + 1], texts)

    def messages(self, session):
        return [m[1] for m in session["messages"]]


class OpsTest(OpsTestBase):
    def test_record_lifecycle(self):
        # status: the record process started on join (--initial-state record).
        status = wait_until(lambda: (lambda r: r[2].get("status") == "running" and r)(
            self.ops("status")), 10, what="record running")
        self.assertEqual(status[:2], [OK, "Session active."])
        first = status[2]
        self.assertEqual(first["session_id"], 0)
        self.assertEqual(first["status"], "running")
        self.assertEqual(first["op_code"], 3)
        self.assertIs(first["data"]["connected"], True)

        # start while running: ERROR with the running session.
        reply = self.ops("start")
        self.assertEqual(reply[:2], [ERROR, 'Operation "record" already in progress.'])
        self.assertEqual(reply[2]["session_id"], 0)
        self.assertEqual(reply[2]["status"], "running")

        # wait with a timeout (a kwarg, as OCSClient sends it) while running.
        t0 = time.monotonic()
        reply = self.ops("wait", timeout=1.0)
        waited = time.monotonic() - t0
        self.assertEqual(reply[0], TIMEOUT, reply)
        self.assertEqual(reply[2]["status"], "running")
        self.assertGreaterEqual(waited, 0.9)
        self.assertLess(waited, 5)
        # A negative timeout answers at once.
        t0 = time.monotonic()
        reply = self.ops("wait", timeout=-1)
        self.assertEqual(reply[0], TIMEOUT, reply)
        self.assertLess(time.monotonic() - t0, 1.0)

        # stop: OK; the session ends done, success true.
        reply = self.ops("stop")
        self.assertEqual(reply[0], OK, reply)
        self.assertIn(reply[2]["status"], ("stopping", "done"))
        self.assertEqual(reply[2]["session_id"], 0)
        done = wait_until(lambda: (lambda r: r[2].get("status") == "done" and r)(
            self.ops("status")), 10, what="record done")
        self.assertEqual(done[:2], [OK, "Session active."])
        s = done[2]
        self.assertIs(s["success"], True)
        self.assertEqual(s["op_code"], 5)
        texts = self.messages(s)
        self.assertIn('Status is now "stopping".', texts)
        self.assertIn('Status is now "done".', texts)
        self.assertLess(texts.index('Status is now "stopping".'),
                        texts.index('Status is now "done".'))

        # stop again: ERROR, already done (the Python agent answers {}).
        reply = self.ops("stop")
        self.assertEqual(reply, [ERROR, "The operation is already done", {}])

        # wait on a done session: OK at once, SUCCEEDED.
        for timeout in (1.0, -1, None):
            with self.subTest(wait_timeout=timeout):
                t0 = time.monotonic()
                reply = self.ops("wait", timeout=timeout)
                self.assertEqual(reply[:2], [OK, 'Operation "record" is currently not running '
                                                 '(SUCCEEDED).'])
                self.assertEqual(reply[2]["status"], "done")
                self.assertLess(time.monotonic() - t0, 1.0)

        # start again: a new session, id 1; wait times out while it runs.
        reply = self.ops("start")
        self.assertEqual(reply[:2], [OK, 'Started process "record".'])
        self.assertEqual(reply[2]["session_id"], 1)
        self.assertIn(reply[2]["status"], ("starting", "running"))
        reply = self.ops("wait", timeout=0.5)
        self.assertEqual(reply[0], TIMEOUT, reply)
        self.assertEqual(reply[2]["session_id"], 1)
        # The positional form (params, timeout) works the same.
        reply = self.raw(ADAPTER_ADDRESS + ".ops", ["wait", "record", {}, 0.3])
        self.assertEqual(reply[0], TIMEOUT, reply)
        # A wait pending when the session ends answers OK then.
        reply = self.ops("stop")
        self.assertEqual(reply[0], OK, reply)
        reply = self.ops("wait", timeout=5)
        self.assertEqual(reply[:2], [OK, 'Operation "record" is currently not running '
                                         '(SUCCEEDED).'])
        self.assertEqual(reply[2]["session_id"], 1)

    def test_test_mode_ends_by_itself(self):
        wait_until(lambda: self.ops("status")[2].get("status") == "running", 10,
                   what="record running")
        self.assertEqual(self.ops("stop")[0], OK)
        wait_until(lambda: self.ops("status")[2].get("status") == "done", 10,
                   what="record done")
        reply = self.ops("start", {"test_mode": True})
        self.assertEqual(reply[:2], [OK, 'Started process "record".'])
        self.assertEqual(reply[2]["session_id"], 1)
        # Nobody stops it: one publishing iteration, then done, success.
        reply = self.ops("wait", timeout=10)
        self.assertEqual(reply[:2], [OK, 'Operation "record" is currently not running '
                                         '(SUCCEEDED).'], reply)
        s = reply[2]
        self.assertEqual(s["status"], "done")
        self.assertIs(s["success"], True)
        self.assertEqual(s["session_id"], 1)
        self.assertIn('Status is now "done".', self.messages(s))

    def test_bad_requests(self):
        wait_until(lambda: self.ops("status")[2].get("status") == "running", 10,
                   what="record running")
        # OCS looks for a running session before it checks the params.
        reply = self.ops("start", {"x": 1})
        self.assertEqual(reply[:2], [ERROR, 'Operation "record" already in progress.'])
        self.assertEqual(reply[2]["status"], "running")
        self.assertEqual(self.ops("stop")[0], OK)
        wait_until(lambda: self.ops("status")[2].get("status") == "done", 10,
                   what="record done")
        # Bad params: ERROR, {} and no new session.
        self.assertEqual(self.ops("start", {"x": 1}),
                         [ERROR, "params included unexpected values: ['x']", {}])
        self.assertEqual(self.ops("start", {"test_mode": "yes"}),
                         [ERROR, "Param 'test_mode'=yes is not of required type "
                                 "(<class 'bool'>)", {}])
        # ParamHandler checks the declared param before the strays.
        self.assertEqual(self.ops("start", {"x": 1, "y": 2, "test_mode": 3}),
                         [ERROR, "Param 'test_mode'=3 is not of required type "
                                 "(<class 'bool'>)", {}])
        self.assertEqual(self.ops("start", {"y": 2, "x": 1, "test_mode": False}),
                         [ERROR, "params included unexpected values: ['y', 'x']", {}])
        self.assertEqual(self.ops("status")[2]["session_id"], 0, "no session was started")
        # Unknown operation.
        reply = self.raw(ADAPTER_ADDRESS + ".ops", ["start", "x", {}], {"password": None})
        self.assertEqual(reply, [ERROR, 'No task or process called "x"', {}])
        reply = self.raw(ADAPTER_ADDRESS + ".ops", ["status", "x", {}], {"password": None})
        self.assertEqual(reply[0], ERROR)
        self.assertEqual(reply[2], {})
        reply = self.raw(ADAPTER_ADDRESS + ".ops", ["wait", "x", {}], {"timeout": 1})
        self.assertEqual(reply, [ERROR, 'Unknown operation "x".', {}])
        # abort is for tasks; record is a process.
        reply = self.ops("abort")
        self.assertEqual(reply[0], ERROR, reply)
        self.assertEqual(reply[2], {})
        self.assertIn("record", reply[1])
        # An unknown action: ERROR.
        reply = self.ops("jump")
        self.assertEqual(reply[0], ERROR, reply)
        self.assertEqual(reply[2], {})
        # None of that disturbed the session; start still works, id 1.
        # test_mode None means unset (False), as in OCS: it keeps running.
        self.assertEqual(self.ops("start", {"test_mode": None})[:2],
                         [OK, 'Started process "record".'])
        reply = self.ops("wait", timeout=1.0)
        self.assertEqual(reply[0], TIMEOUT, reply)
        self.assertEqual(reply[2]["session_id"], 1)
        self.assertEqual(reply[2]["status"], "running")

    def test_management(self):
        wait_until(lambda: self.ops("status")[2].get("status") == "running", 10,
                   what="record running")
        api = self.management("get_api")
        self.assertEqual(set(api), {"agent_class", "instance_hostname", "instance_pid", "feeds",
                                    "processes", "tasks", "access_control"})
        self.assertEqual(api["agent_class"], "InfluxDBAgent")
        self.assertIsInstance(api["instance_hostname"], str)
        self.assertTrue(api["instance_hostname"])
        self.assertEqual(api["instance_pid"], self.stack.adapter.pid)
        self.assertEqual(api["tasks"], [])
        # feeds: [[name, encoded feed]]; the agent's heartbeat.
        self.assertEqual([f[0] for f in api["feeds"]], ["heartbeat"])
        name, feed = api["feeds"][0]
        self.assertEqual(len(api["feeds"][0]), 2)
        self.assertEqual(set(feed), FEED_KEYS)
        self.assertEqual(feed["agent_address"], ADAPTER_ADDRESS)
        self.assertEqual(feed["address"], ADAPTER_ADDRESS + ".feeds.heartbeat")
        self.assertEqual(feed["feed_name"], "heartbeat")
        self.assertIs(feed["record"], False)
        self.assertEqual(feed["agent_class"], "InfluxDBAgent")
        self.assertIsInstance(feed["session_id"], str)
        self.assertLess(abs(float(feed["session_id"]) - time.time()), 120)
        # processes: [[name, session, op_info]].
        self.assertEqual(len(api["processes"]), 1)
        self.assertEqual(len(api["processes"][0]), 3)
        name, session, info = api["processes"][0]
        self.assertEqual(name, "record")
        self.check_session(session)
        self.assertEqual(session["status"], "running")
        self.assertEqual(set(info), OP_INFO)
        self.assertIs(info["blocking"], True)
        self.assertEqual(info["op_type"], "process")
        self.assertEqual(info["min_privs"], 1)
        self.assertIn("test_mode", info["docstring"])
        ac = api["access_control"]
        self.assertEqual(set(ac), {"version", "policy", "update_timestamp", "update_count",
                                   "step"})
        self.assertEqual((ac["version"], ac["policy"], ac["update_count"], ac["step"]),
                         (1, "none", 0, 0))
        self.assertIsInstance(ac["update_timestamp"], (int, float))
        # The single queries, each one positional result too.
        self.assertEqual(self.management("get_tasks"), [])
        self.assertEqual(self.management("get_agent_class"), "InfluxDBAgent")
        self.assertEqual(self.management("get_feeds"), api["feeds"])
        processes = self.management("get_processes")
        self.assertEqual(len(processes), 1)
        self.assertEqual(processes[0][0], "record")
        self.assertEqual(processes[0][2], info)
        self.assertEqual(processes[0][1]["session_id"], session["session_id"])
        # And through OCSClient itself (reads args[0]).
        self.assertEqual(self.client.get_agent_class(), "InfluxDBAgent")
        self.assertEqual(self.client.status("record")[0], OK)


class IdleOpsTest(OpsTestBase):
    """--initial-state idle: no session until someone starts one."""
    initial_state = "idle"

    def test_no_session_yet(self):
        self.assertEqual(self.ops("status"), [OK, "No session active.", {}])
        self.assertEqual(self.ops("wait", timeout=1), [OK, "Idle.", {}])
        self.assertEqual(self.ops("stop"), [ERROR, "No session active.", {}])
        api = self.management("get_api")
        self.assertEqual(api["processes"][0][1], {"op_name": "record", "status": "no_history"})
        reply = self.ops("start")
        self.assertEqual(reply[:2], [OK, 'Started process "record".'])
        self.assertEqual(reply[2]["session_id"], 0)


class HeartbeatTest(OpsTestBase):
    def test_heartbeat(self):
        wait_until(lambda: self.ops("status")[2].get("status") == "running", 10,
                   what="record running")
        sub = self.wamp_client()
        sub.subscribe(ADAPTER_ADDRESS + ".feeds.heartbeat")
        t0 = time.monotonic()
        time.sleep(4.2)
        running = [e for e in sub.snapshot() if e[0] >= t0]
        reply = self.ops("stop")
        self.assertEqual(reply[0], OK)
        wait_until(lambda: self.ops("status")[2].get("status") == "done", 10,
                   what="record done")
        t1 = time.monotonic()
        time.sleep(3.2)
        events = sub.snapshot()
        # About one a second.
        self.assertTrue(3 <= len(running) <= 6, [e[0] - t0 for e in running])
        times = [e[0] for e in events]
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertTrue(all(0.3 < g < 2.5 for g in gaps), gaps)
        for _, topic, args, kwargs in events:
            self.assertEqual(topic, ADAPTER_ADDRESS + ".feeds.heartbeat")
            self.assertEqual(kwargs, {})
            self.assertEqual(len(args), 1, "ONE positional argument: %r" % (args,))
            self.assertIsInstance(args[0], list)
            self.assertEqual(len(args[0]), 2, "[message, feed]")
            message, feed = args[0]
            self.assertEqual(set(message), {"record"})
            self.assertEqual(set(feed), FEED_KEYS)
            self.assertIs(feed["record"], False)
            self.assertEqual(feed["feed_name"], "heartbeat")
            self.assertEqual(feed["agent_address"], ADAPTER_ADDRESS)
            self.assertEqual(feed["address"], topic)
        self.assertEqual({e[2][0][0]["record"] for e in running}, {3}, "running: op_code 3")
        after = [e[2][0][0]["record"] for e in events if e[0] > t1 + 0.1]
        self.assertGreaterEqual(len(after), 2)
        self.assertEqual(set(after), {5}, "done after a clean stop: op_code 5")


if __name__ == "__main__":
    ocs_e2e.main()
