#!/usr/bin/python3
"""Hostile input through WAMP, one row per class of bad input, against the
OCS adapter (embedded publisher, real influxd). Every row is a subTest and
prints a `HOSTILE-ROW wamp | name | class | example | answer` line;
docs/hostile-input.md lists the rows by name.

- EventRowsTest: publications on feed topics through the test router (as
  any peer of the realm can send them), next to a fake agent's good feed.
  Each row's answer: `malformed` (counted in the session's
  data.events_malformed, nothing lands), `lands N` (what survives the
  rules: NaN/Inf, overflowing times and reserved names are dropped and
  counted), `skipped` (record false), or `router refuses` (the router
  closes the publisher's connection; the adapter never sees it). After all
  rows: the count of malformed events is exact, each row's measurement
  holds exactly its points, the good feed landed exactly, the adapter is up.
- CallRowsTest: calls to `<addr>.ops` and `<addr>` through the HTTP bridge
  (as OCSClient) and from a raw autobahn client (msgpack: non-string keys,
  binary, NaN), with the adapter idle so that params are checked; the reply
  or WAMP error URI per row; the adapter answers a good call after each.
- RawBytesTest: bytes no real router forwards (invalid UTF-8, a 5-byte
  array header claiming 2^28 or 2^32 items, a truncated message, an
  unknown WAMP message type), sent by a hostile stand-in router the adapter
  is pointed at. Answer: invalid UTF-8 in an event is counted malformed, in
  a call answered wamp.error.invalid_argument; a message that is not
  well-formed MessagePack, or that autobahn-cpp cannot handle, makes the
  adapter close that connection and rejoin (no memory blow-up, no deaf
  session); it then answers calls again.

Run: /usr/bin/python3 tests/hostile/wamp_hostile_test.py [EventRowsTest|...]
(after bazel build //ocs_adapter:ocs_adapter //service:publisher).
"""

import asyncio
import math
import os
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "ocs_adapter"))

import msgpack  # noqa: E402

import ocs_e2e  # noqa: E402
from ocs_e2e import ADAPTER_ADDRESS, ERROR, OK, wait_until  # noqa: E402

from autobahn.asyncio.websocket import (WebSocketServerFactory,  # noqa: E402
                                        WebSocketServerProtocol)
from autobahn.wamp.exception import ApplicationError  # noqa: E402


def row_line(name, klass, example, answer):
    print("HOSTILE-ROW wamp | %s | %s | %s | %s" % (name, klass, example, answer), flush=True)


def deep_list(levels):
    v = [1.0]
    for _ in range(levels):
        v = [v]
    return v


# ================================================================ events

class EventRowsTest(ocs_e2e.AdapterPerTestCase):
    initial_state = "record"

    def feed(self, name, **over):
        f = {"agent_address": "observatory.h_" + name, "agg_params": {}, "feed_name": "f",
             "address": "observatory.h_%s.feeds.f" % name, "record": True,
             "session_id": "1", "agent_class": "HostileAgent"}
        f.update(over)
        return f

    def pub(self, name, block=None, feed=None, **block_over):
        t = 1700000000.0
        b = {"block_name": "b", "timestamps": [t], "data": {"v": [1.0]}}
        if block is not None:
            b = block
        b.update(block_over)
        return ([{"b": b}, feed if feed is not None else self.feed(name)],)

    def rows(self):
        """(name, class, example, args, kwargs, answer); answer is
        'malformed', 'skipped', ('lands', N), ('refused', reason) (counted in
        data.publications_refused, dead-lettered) or 'router refuses'."""
        t = 1700000000.0
        big = "x" * (64 * 1024 + 1)
        chunk = "y" * 60000
        R = []

        def add(name, klass, example, args, answer, kwargs=None):
            R.append((name, klass, example, args, kwargs or {}, answer))

        # wrong types
        add("ev_feed_not_dict", "wrong types", "[message, \"feed\"]", ([{}, "feed"],), "malformed")
        add("ev_not_a_list", "wrong types", "one argument 42", (42,), "malformed")
        add("ev_timestamp_string", "wrong types", "timestamps [\"soon\"]",
            self.pub("ev_timestamp_string", timestamps=["soon"]), "malformed")
        add("ev_column_not_list", "wrong types", "data {\"v\": 1.0}",
            self.pub("ev_column_not_list", data={"v": 1.0}), "malformed")
        add("ev_value_list", "wrong types", "data {\"v\": [[1.0]]}",
            self.pub("ev_value_list", data={"v": [[1.0]]}), "malformed")
        add("ev_value_binary", "wrong types", "data {\"v\": [b\"\\x00\"]} (msgpack bin)",
            self.pub("ev_value_binary", data={"v": [b"\x00\x01"]}), "malformed")
        # Each value is written with its own type; InfluxDB keeps a field's
        # first type and refuses the others (dead-lettered, not lost).
        add("ev_mixed_column", "wrong types",
            "data {\"v\": [1, 2.5, \"s\", true]} (mixed types in a column)",
            self.pub("ev_mixed_column", timestamps=[t, t + 1, t + 2, t + 3],
                     data={"v": [1, 2.5, "s", True]}), ("lands", 1))
        # missing keys
        add("ev_no_arguments", "missing keys", "an event without arguments", (), "malformed")
        add("ev_no_feed_name", "missing keys", "feed without feed_name",
            self.pub("ev_no_feed_name", feed={"agent_address": "observatory.h_ev_no_feed_name",
                                              "record": True}), "malformed")
        add("ev_no_timestamps", "missing keys", "block without timestamps",
            ([{"b": {"block_name": "b", "data": {"v": [1.0]}}}, self.feed("ev_no_timestamps")],),
            "malformed")
        add("ev_only_kwargs", "missing keys", "message and feed as kwargs", (),
            "malformed", {"message": {}, "feed": self.feed("ev_only_kwargs")})
        # huge strings and messages
        add("ev_string_over_64k", "huge strings", "a string value of 64 KiB + 1",
            self.pub("ev_string_over_64k", data={"v": [big]}), "malformed")
        add("ev_multi_mb", "multi-MB messages", "a 9 MB publication (150 strings of 60 kB)",
            self.pub("ev_multi_mb", timestamps=[t + i for i in range(150)],
                     data={"v": [chunk] * 150}), ("lands", 150))
        # deep nesting
        add("ev_deep_list", "deep nesting", "a value nested 300 lists deep",
            self.pub("ev_deep_list", data={"v": [deep_list(300)]}), "malformed")
        add("ev_deep_top", "deep nesting", "the argument nested 300 lists deep",
            (deep_list(300),), "malformed")
        # NaN/Inf
        add("ev_nan_inf", "NaN/Inf", "data {\"v\": [NaN, Inf, 1.0]}",
            self.pub("ev_nan_inf", timestamps=[t, t + 1, t + 2],
                     data={"v": [math.nan, math.inf, 1.0]}), ("lands", 1))
        # overflowing times
        add("ev_time_overflow", "overflowing times", "timestamps [1e300, -1e300, t]",
            self.pub("ev_time_overflow", timestamps=[1e300, -1e300, t],
                     data={"v": [1.0, 2.0, 3.0]}), ("lands", 1))
        add("ev_time_huge_int", "overflowing times", "timestamps [2**64-1] (an integer)",
            self.pub("ev_time_huge_int", timestamps=[2 ** 64 - 1]), ("lands", 0))
        # invalid names
        add("ev_empty_field", "invalid names", "data {\"\": [1.0], \"v\": [2.0]}",
            self.pub("ev_empty_field", data={"": [1.0], "v": [2.0]}), ("lands", 1))
        add("ev_reserved_fields", "invalid names",
            "data {\"time\", \"_field\", \"_measurement\", \"v\"}",
            self.pub("ev_reserved_fields", data={"time": [1], "_field": [2],
                                                 "_measurement": [3], "v": [1.0]}),
            ("lands", 1))
        add("ev_newline_field", "invalid names", "data {\"a\\nb\": [1.0]}",
            self.pub("ev_newline_field", data={"a\nb": [1.0], "v": [1.0]}), "malformed")
        add("ev_trailing_backslash", "invalid names", "data {\"w\\\\\": [1.0]}",
            self.pub("ev_trailing_backslash", data={"w\\": [1.0], "v": [1.0]}), "malformed")
        add("ev_hash_address", "invalid names", "agent_address \"#observatory.h\"",
            self.pub("ev_hash_address", feed=self.feed("ev_hash_address",
                                                       agent_address="#observatory.h")),
            "malformed")
        add("ev_empty_address", "invalid names", "agent_address \"\"",
            self.pub("ev_empty_address", feed=self.feed("ev_empty_address", agent_address="")),
            "malformed")
        # mismatched column lengths
        add("ev_mismatched", "mismatched column lengths", "2 timestamps, a column of 1",
            self.pub("ev_mismatched", timestamps=[t, t + 1], data={"v": [1.0]}), "malformed")
        add("ev_mismatched_columns", "mismatched column lengths", "columns of 2 and 1 values",
            self.pub("ev_mismatched_columns", timestamps=[t, t + 1],
                     data={"v": [1.0, 2.0], "w": [1]}), "malformed")
        # non-string map keys (msgpack; the router passes them through)
        add("ev_int_column_key", "non-string map keys", "data {1: [1.0]}",
            self.pub("ev_int_column_key", data={1: [1.0]}), "malformed")
        add("ev_int_feed_key", "non-string map keys", "feed {..., 7: true}",
            self.pub("ev_int_feed_key", feed=dict(self.feed("ev_int_feed_key"), **{}) | {7: True}),
            "malformed")
        # names over InfluxDB's 64 KiB and amplification (issue 8): refused
        # by the adapter before its queue, dead-lettered, counted by reason
        add("ev_address_over_64k", "huge names", "agent_address of 70,000 bytes",
            self.pub("ev_address_over_64k",
                     feed=self.feed("ev_address_over_64k",
                                    agent_address="observatory.h_" + "a" * 70000)),
            ("refused", "name_too_long"))
        add("ev_field_over_64k", "huge names", "a field name of 70,000 bytes",
            self.pub("ev_field_over_64k", data={"f" * 70000: [1.0]}),
            ("refused", "name_too_long"))
        add("ev_amplification", "amplification",
            "agent_address of 60,000 bytes on 10,000 rows (600 MB of line protocol)",
            self.pub("ev_amplification",
                     feed=self.feed("ev_amplification",
                                    agent_address="observatory.h_" + "a" * 60000),
                     timestamps=[t + i for i in range(10000)], data={"ok": [True] * 10000}),
            ("refused", "too_large"))
        # not recorded
        add("ev_record_false", "not recorded", "feed record false",
            self.pub("ev_record_false", feed=self.feed("ev_record_false", record=False)),
            "skipped")
        add("ev_exclude_influx", "not recorded", "agg_params exclude_influx true",
            self.pub("ev_exclude_influx",
                     feed=self.feed("ev_exclude_influx", agg_params={"exclude_influx": True})),
            "skipped")
        return R

    def test_event_rows(self):
        s = self.stack
        wait_until(lambda: s.session_status().get("status") == "running", 10,
                   what="record running")
        before = self.session_data()
        good, good_counts_file = s.start_agent(
            "observatory.goodfeed", "--rate", "20", "--channels", "2", "--duration", "4",
            "--buffer-time", "0.3", "--serializer", "msgpack")
        c = self.wamp_client("msgpack")
        rows = self.rows()
        malformed = 0
        for name, klass, example, args, kwargs, answer in rows:
            with self.subTest(row=name):
                refused = isinstance(answer, tuple) and answer[0] == "refused"
                row_line(name, klass, example,
                         answer if isinstance(answer, str) else
                         "refused %s, dead-lettered; lands 0" % answer[1] if refused else
                         "lands %d" % answer[1] if answer[1] else
                         "dropped by rule and counted; lands 0")
                if answer == "malformed":
                    want = self.session_data()["events_malformed"] + 1
                if refused:
                    want = self.session_data()["publications_refused"][answer[1]] + 1
                c.publish("observatory.h_%s.feeds.f" % name, *args, **kwargs)
                if answer == "malformed":
                    malformed += 1
                    wait_until(lambda: self.session_data()["events_malformed"] >= want, 10,
                               what="%s counted malformed" % name)
                if refused:
                    wait_until(lambda: self.session_data()["publications_refused"][answer[1]]
                               >= want, 10, what="%s refused as %s" % (name, answer[1]))
                self.assertTrue(s.adapter.alive(), "adapter died on " + name)

        # Bigger than the router takes (16 MiB): the router closes the
        # publisher's connection; the adapter never sees it.
        name = "ev_over_router_limit"
        row_line(name, "oversized messages", "a 17 MiB publication", "router refuses")
        with self.subTest(row=name):
            big = self.wamp_client("msgpack")
            with self.assertRaises(Exception):
                big.publish("observatory.h_%s.feeds.f" % name,
                            *self.pub(name, data={"v": ["z" * (17 << 20)]}))
            self.assertTrue(s.adapter.alive())

        self.assertEqual(good.wait(30), 0)
        counts = ocs_e2e.read_counts(good_counts_file)
        influx = s.influx
        wait_until(lambda: len(influx.points("observatory.goodfeed")) >= counts["points"], 30,
                   what="the good feed")
        wait_until(lambda: self.session_data()["events_malformed"] - before["events_malformed"]
                   >= malformed, 20, what="%d malformed events counted" % malformed)
        def landing(answer):
            return answer[1] if isinstance(answer, tuple) and answer[0] == "lands" else 0
        for name, _, _, _, _, answer in rows:
            expected = landing(answer)
            with self.subTest(row=name, check="landed"):
                wait_until(lambda: len(influx.points("observatory.h_" + name)) >= expected, 20,
                           what="%d points of %s" % (expected, name))
        time.sleep(1.0)
        data = self.session_data()
        self.assertEqual(data["events_malformed"] - before["events_malformed"], malformed, data)
        for name, _, _, _, _, answer in rows:
            expected = landing(answer)
            with self.subTest(row=name, check="landed exactly"):
                self.assertEqual(len(influx.points("observatory.h_" + name)), expected)
        self.assertEqual(influx.points("observatory.h_ev_over_router_limit"), [])
        self.assertEqual(len(influx.points("observatory.goodfeed")), counts["points"])
        nan_rows = influx.points("observatory.h_ev_nan_inf")
        self.assertEqual([r["v"] for r in nan_rows], [1.0])
        self.assertTrue(s.adapter.alive())
        self.assertEqual(self.client.get_agent_class(), "InfluxDBAgent")


# ================================================================ calls

class CallRowsTest(ocs_e2e.AdapterPerTestCase):
    initial_state = "idle"

    def bridge(self, procedure, args, kwargs=None):
        status, body = self.client.call_raw(procedure, args, kwargs or {})
        self.assertEqual(status, 200, body)
        if "error" in body:
            return ("error", body["error"], body.get("args"))
        self.assertEqual(len(body["args"]), 1, body)
        return ("reply", body["args"][0])

    def raw(self, c, procedure, args, kwargs=None):
        async def call():
            return await c.session.call(procedure, *args, **(kwargs or {}))
        try:
            return ("reply", c.run(call()))
        except ApplicationError as e:
            return ("error", e.error, list(e.args))

    def check(self, got, expected):
        """expected: ("reply", value) exact, ("reply_prefix", code, text),
        or ("error", uri, message substring)."""
        if expected[0] == "reply":
            self.assertEqual(got, expected)
        elif expected[0] == "reply_prefix":
            self.assertEqual(got[0], "reply", got)
            self.assertEqual(got[1][0], expected[1], got)
            self.assertTrue(got[1][1].startswith(expected[2]), got)
        else:
            self.assertEqual(got[0], "error", got)
            self.assertEqual(got[1], expected[1], got)
            self.assertIn(expected[2], " ".join(str(a) for a in (got[2] or [])), got)

    def test_call_rows(self):
        ops, mgmt = ADAPTER_ADDRESS + ".ops", ADAPTER_ADDRESS
        pw = {"password": None}
        inv = "wamp.error.invalid_argument"
        bridge_rows = [
            ("ops_unknown_op", "unknown ops", "ops start nope", ops,
             ["start", "nope", {}], pw, ("reply", [ERROR, 'No task or process called "nope"', {}])),
            ("ops_unknown_action", "unknown ops", "ops restart record", ops,
             ["restart", "record", {}], pw, ("reply", [ERROR, 'No action called "restart".', {}])),
            ("ops_abort", "unknown ops", "ops abort record (a process)", ops,
             ["abort", "record", {}], pw,
             ("reply", [ERROR, 'No implementation for operation "record"', {}])),
            ("ops_unknown_param", "unknown params", "start record {x: 1, y: 2}", ops,
             ["start", "record", {"x": 1, "y": 2}], pw,
             ("reply", [ERROR, "params included unexpected values: ['x', 'y']", {}])),
            ("ops_bad_param_type", "bad param types", "start record {test_mode: \"yes\"}", ops,
             ["start", "record", {"test_mode": "yes"}], pw,
             ("reply", [ERROR, "Param 'test_mode'=yes is not of required type (<class 'bool'>)",
                        {}])),
            ("ops_bad_param_type_int", "bad param types", "start record {test_mode: 1}", ops,
             ["start", "record", {"test_mode": 1}], pw,
             ("reply", [ERROR, "Param 'test_mode'=1 is not of required type (<class 'bool'>)",
                        {}])),
            ("ops_params_not_dict", "bad param types", "start record [1]", ops,
             ["start", "record", [1]], pw, ("reply", [ERROR, "params must be a dict.", {}])),
            ("ops_timeout_string", "bad param types", "wait record, timeout \"soon\"", ops,
             ["wait", "record", {}], {"timeout": "soon", "password": None},
             ("error", inv, "timeout must be a number or None")),
            ("ops_no_args", "wrong argument counts", "ops()", ops, [], {},
             ("error", inv, "ops takes (action, op_name")),
            ("ops_one_arg", "wrong argument counts", "ops(\"status\")", ops, ["status"], {},
             ("error", inv, "ops takes (action, op_name")),
            ("ops_extra_args", "wrong argument counts", "ops(status, record, {}, None, 1, 2)",
             ops, ["status", "record", {}, None, 1, 2], {},
             ("reply", [OK, "No session active.", {}])),
            ("ops_action_int", "wrong types", "ops(1, \"record\")", ops, [1, "record"], {},
             ("error", inv, "ops takes (action, op_name")),
            ("ops_huge_action", "huge strings", "an action of 100 kB", ops,
             ["x" * 100000, "record", {}], pw, ("reply_prefix", ERROR, 'No action called "xxx')),
            ("ops_deep_kwargs", "deep nesting", "kwargs password nested 100 lists deep", ops,
             ["status", "record", {}], {"password": deep_list(100)},
             ("error", inv, "kwargs")),
            ("ops_stop_not_recording", "not recording", "stop record while idle", ops,
             ["stop", "record", {}], pw, ("reply", [ERROR, "No session active.", {}])),
            ("ops_wait_not_recording", "not recording", "wait record while idle", ops,
             ["wait", "record", {}], {"timeout": 1, "password": None},
             ("reply", [OK, "Idle.", {}])),
            ("mgmt_unknown", "unknown ops", "management get_everything", mgmt,
             ["get_everything"], {}, ("error", inv, 'Unknown management query "get_everything"')),
            ("mgmt_no_args", "wrong argument counts", "management()", mgmt, [], {},
             ("error", inv, "management takes (q)")),
            ("mgmt_int", "wrong types", "management(7)", mgmt, [7], {},
             ("error", inv, "management takes (q)")),
            ("mgmt_extra_args", "wrong argument counts", "management(get_agent_class, 1, 2)",
             mgmt, ["get_agent_class", 1, 2], {}, ("reply", "InfluxDBAgent")),
        ]
        for name, klass, example, proc, args, kwargs, expected in bridge_rows:
            with self.subTest(row=name, via="bridge"):
                row_line(name, klass, example + " (HTTP bridge)", self.describe(expected))
                self.check(self.bridge(proc, args, kwargs), expected)
                self.assertEqual(self.client.get_agent_class(), "InfluxDBAgent")

        # The bridge's own answer to a body that is not JSON.
        name = "bridge_not_json"
        row_line(name, "wrong types", "POST /call with a body that is not JSON (HTTP bridge)",
                 "HTTP 400 (the router)")
        import urllib.error
        import urllib.request
        req = urllib.request.Request(self.stack.http_url, data=b"{not json", method="POST")
        with self.subTest(row=name):
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=10)
            self.assertEqual(e.exception.code, 400)

        c = self.wamp_client("msgpack")
        raw_rows = [
            ("raw_int_param_key", "non-string map keys", "start record {1: true}", ops,
             ["start", "record", {1: True}], {}, ("error", inv, "args[2]")),
            ("raw_int_kwargs_nested_key", "non-string map keys", "kwargs {password: {1: 2}}",
             ops, ["status", "record", {}], {"password": {1: 2}}, ("error", inv, "kwargs")),
            ("raw_binary_op_name", "wrong types", "ops(status, b\"record\")", ops,
             ["status", b"record"], {}, ("error", inv, "args[1]")),
            ("raw_nan_timeout", "NaN/Inf", "wait record timeout NaN", ops,
             ["wait", "record", {}, math.nan], {}, ("reply", [OK, "Idle.", {}])),
            ("raw_inf_timeout", "NaN/Inf", "wait record timeout -Inf", ops,
             ["wait", "record", {}, -math.inf], {}, ("reply", [OK, "Idle.", {}])),
            ("raw_huge_int_timeout", "overflowing times", "wait record timeout 2**64-1", ops,
             ["wait", "record", {}, 2 ** 64 - 1], {}, ("error", inv, "timeout must be a number")),
            ("raw_mgmt_binary", "wrong types", "management(b\"get_api\")", mgmt, [b"get_api"], {},
             ("error", inv, "args[0]")),
            ("raw_mgmt_dict", "wrong types", "management({\"q\": \"get_api\"})", mgmt,
             [{"q": "get_api"}], {}, ("error", inv, "management takes (q)")),
            ("raw_deep_args", "deep nesting", "args[2] nested 200 lists deep", ops,
             ["start", "record", deep_list(200)], {}, ("error", inv, "args[2]")),
            ("raw_start_test_mode_null", "bad param types", "start record {test_mode: None}",
             ops, ["start", "record", {"test_mode": None}], {},
             ("reply_prefix", OK, 'Started process "record".')),
        ]
        for name, klass, example, proc, args, kwargs, expected in raw_rows:
            with self.subTest(row=name, via="raw"):
                row_line(name, klass, example + " (raw autobahn msgpack)", self.describe(expected))
                self.check(self.raw(c, proc, args, kwargs), expected)
                self.assertEqual(self.client.get_agent_class(), "InfluxDBAgent")
        # The last row started a session: params are checked only when none runs.
        self.assertEqual(self.client.status("record")[2]["status"], "running")

    @staticmethod
    def describe(expected):
        if expected[0] == "reply":
            return "reply %s" % (expected[1],)
        if expected[0] == "reply_prefix":
            return "reply [%d, %r...]" % (expected[1], expected[2])
        return "WAMP error %s (%s)" % (expected[1], expected[2])


# ================================================================ raw bytes

class HostileRouter:
    """A WAMP 'router' that the adapter joins and that sends it whatever the
    test asks for: just enough of WAMP (HELLO, REGISTER, SUBSCRIBE, PUBLISH,
    YIELD, ERROR, GOODBYE) to get the adapter registered, then raw bytes.
    Runs on its own asyncio loop in a daemon thread, on 127.0.0.1."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.lock = threading.Lock()
        self.proto = None
        self.hellos = 0
        self.subscribes = 0
        self.closed = 0
        self.registrations = {}   # uri -> id (of the latest join)
        self.next_registration = 100
        self.subscription = None
        self.pending = {}         # request id -> concurrent future
        self.next_request = 1000
        router = self

        class Proto(WebSocketServerProtocol):
            def onConnect(self, request):
                if "wamp.2.msgpack" not in request.protocols:
                    raise Exception("no wamp.2.msgpack")
                return "wamp.2.msgpack"

            def onOpen(self):
                with router.lock:
                    router.proto = self

            def onMessage(self, payload, is_binary):
                router.on_message(self, msgpack.unpackb(payload, raw=False,
                                                        strict_map_key=False))

            def onClose(self, was_clean, code, reason):
                with router.lock:
                    router.closed += 1
                    if router.proto is self:
                        router.proto = None

        # autobahn checks the Host header's port against the factory's URL.
        self.port = ocs_e2e.free_port()
        factory = WebSocketServerFactory("ws://127.0.0.1:%d/ws" % self.port, loop=self.loop,
                                         protocols=["wamp.2.msgpack"])
        factory.protocol = Proto
        factory.setProtocolOptions(maxMessagePayloadSize=0, maxFramePayloadSize=0)

        async def serve():
            return await self.loop.create_server(factory, "127.0.0.1", self.port)
        self.server = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)

    def on_message(self, proto, msg):
        kind = msg[0]
        send = lambda m: proto.sendMessage(msgpack.packb(m, use_bin_type=True), isBinary=True)
        if kind == 1:  # HELLO
            with self.lock:
                self.hellos += 1
            send([2, 4242, {"roles": {"broker": {}, "dealer": {}}}])
        elif kind == 64:  # REGISTER
            with self.lock:
                self.next_registration += 1
                reg = self.next_registration
                self.registrations[msg[3]] = reg
            send([65, msg[1], reg])
        elif kind == 32:  # SUBSCRIBE
            with self.lock:
                self.subscription = 77
                self.subscribes += 1
            send([33, msg[1], 77])
        elif kind == 16:  # PUBLISH (heartbeats)
            if msg[2].get("acknowledge"):
                send([17, msg[1], 1])
        elif kind == 70:  # YIELD
            f = self.pending.pop(msg[1], None)
            if f is not None:
                f.set_result(("reply", msg[3][0] if len(msg) > 3 and msg[3] else None))
        elif kind == 8:  # ERROR
            f = self.pending.pop(msg[2], None)
            if f is not None:
                f.set_result(("error", msg[4], msg[5] if len(msg) > 5 else []))
        elif kind == 6:  # GOODBYE
            send([6, {}, "wamp.close.goodbye_and_out"])

    def send_raw(self, data):
        def go():
            if self.proto is not None:
                self.proto.sendMessage(data, isBinary=True)
        self.loop.call_soon_threadsafe(go)

    def invocation_bytes(self, uri, args, kwargs=None, request=None):
        return msgpack.packb([68, request, self.registrations[uri], {}, args, kwargs or {}],
                             use_bin_type=True)

    def call(self, uri, args, kwargs=None, timeout=10, raw=None):
        """Sends an INVOCATION (or `raw` bytes made by raw(request_id)) and
        waits for the YIELD or ERROR; None if none comes in `timeout`."""
        import concurrent.futures
        with self.lock:
            self.next_request += 1
            request = self.next_request
        f = concurrent.futures.Future()
        self.pending[request] = f
        data = raw(request) if raw is not None else self.invocation_bytes(uri, args, kwargs,
                                                                          request)
        self.send_raw(data)
        try:
            return f.result(timeout)
        except concurrent.futures.TimeoutError:
            self.pending.pop(request, None)
            return None

    def event(self, args):
        self.send_raw(msgpack.packb([36, self.subscription, 5, {"topic": "observatory.x.feeds.f"},
                                     args], use_bin_type=True))

    def stop(self):
        def close():
            if self.proto is not None:
                self.proto.dropConnection(abort=True)
            self.server.close()
        self.loop.call_soon_threadsafe(close)
        time.sleep(0.2)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def mp_str(raw_bytes):
    """A msgpack str (not bin) holding exactly these bytes, UTF-8 or not."""
    n = len(raw_bytes)
    if n < 32:
        return bytes([0xa0 | n]) + raw_bytes
    return b"\xd9" + bytes([n]) + raw_bytes


class RawBytesTest(ocs_e2e.E2ETestCase):
    def setUp(self):
        self.stack = ocs_e2e.Stack("RawBytesTest")
        self.router = None
        try:
            self.stack.start_influxd()
            self.router = HostileRouter()
            self.stack.router_port = self.router.port
            self.stack.start_adapter(initial_state="record")
        except BaseException:
            self.tearDown()
            raise

    def tearDown(self):
        failed = self.failed()
        # The adapter first (it says GOODBYE to the stand-in), then the rest.
        code = self.stack.adapter.stop() if self.stack.adapter is not None else 0
        if self.router is not None:
            self.router.stop()
        self.stack.stop(failed=failed)
        self.assertEqual(code, 0, "adapter exit code after SIGTERM")

    def status(self):
        r = self.router.call(ADAPTER_ADDRESS + ".ops", ["status", "record", {}])
        self.assertIsNotNone(r, "no answer to ops status")
        self.assertEqual(r[0], "reply", r)
        return r[1]

    def malformed(self):
        return self.status()[2]["data"]["events_malformed"]

    def test_raw_rows(self):
        r = self.router
        ops = ADAPTER_ADDRESS + ".ops"
        wait_until(lambda: self.status()[2].get("status") == "running", 10, what="record running")

        # Invalid UTF-8 in an event: counted malformed.
        name = "raw_invalid_utf8_event"
        row_line(name, "invalid UTF-8", "an event whose feed_name is b\"f\\xff\"", "malformed")
        before = self.malformed()
        feed = (b"\x82" + mp_str(b"agent_address") + mp_str(b"observatory.h")
                + mp_str(b"feed_name") + mp_str(b"f\xff"))
        block = msgpack.packb({"b": {"block_name": "b", "timestamps": [1700000000.0],
                                     "data": {"v": [1.0]}}})
        event = (b"\x95" + msgpack.packb(36) + msgpack.packb(r.subscription) + msgpack.packb(5)
                 + msgpack.packb({}) + b"\x91\x92" + block + feed)
        r.send_raw(event)
        wait_until(lambda: self.malformed() == before + 1, 10, what="the event counted")
        self.assertEqual(r.hellos, 1, "no rejoin for a malformed event")

        # Invalid UTF-8 in a call: wamp.error.invalid_argument.
        name = "raw_invalid_utf8_call"
        row_line(name, "invalid UTF-8", "ops(\"status\", b\"rec\\xffrd\")",
                 "WAMP error wamp.error.invalid_argument")
        got = r.call(ops, None, raw=lambda req: (
            b"\x96" + msgpack.packb(68) + msgpack.packb(req)
            + msgpack.packb(r.registrations[ops]) + msgpack.packb({})
            + b"\x92" + mp_str(b"status") + mp_str(b"rec\xffrd") + msgpack.packb({})))
        self.assertIsNotNone(got)
        self.assertEqual(got[:2], ("error", "wamp.error.invalid_argument"), got)
        self.assertIn("UTF-8", str(got[2]))

        # Messages the adapter must not try to unpack, or cannot handle: it
        # closes the connection and joins again, then answers.
        bombs = [
            ("raw_array_bomb_2_28", "oversized messages",
             "5 bytes: an array header claiming 2^28 items", b"\xdd\x10\x00\x00\x00"),
            ("raw_array_bomb_2_32", "oversized messages",
             "5 bytes: an array header claiming 2^32-1 items", b"\xdd\xff\xff\xff\xff"),
            ("raw_map_bomb", "oversized messages",
             "an EVENT whose argument is a map claiming 2^31 pairs",
             b"\x95\x24\x4d\x05\x80\x91\xdf\x80\x00\x00\x00"),
            ("raw_truncated", "wrong types", "an INVOCATION cut in the middle",
             r.invocation_bytes(ops, ["status", "record", {}], request=1)[:-6]),
            ("raw_never_used_byte", "wrong types", "the byte 0xc1 (never used in msgpack)",
             b"\x93\xc1\x01\x02"),
            ("raw_hello_to_client", "unknown ops",
             "a WAMP HELLO sent to the client (autobahn-cpp: protocol error)",
             msgpack.packb([1, "test_realm", {}])),
            ("raw_not_a_list", "wrong types", "a WAMP message that is a string",
             msgpack.packb("hello")),
            ("raw_unknown_message_type", "unknown ops", "the WAMP message [999, 1]",
             msgpack.packb([999, 1])),
        ]
        for name, klass, example, data in bombs:
            # autobahn-cpp ignores message types it does not know.
            rejoin = name != "raw_unknown_message_type"
            with self.subTest(row=name):
                row_line(name, klass, example, "connection closed by the adapter; it rejoins"
                         if rejoin else "ignored (autobahn-cpp); the session goes on")
                joins = r.subscribes
                r.send_raw(data)
                if rejoin:
                    wait_until(lambda: r.subscribes > joins, 20,
                               what="the adapter to rejoin after " + name)
                self.assertTrue(self.stack.adapter.alive())
                self.assertEqual(self.status()[0], OK)
                if not rejoin:
                    self.assertEqual(r.subscribes, joins)
        self.assertIn("closing the connection", self.stack.adapter.stderr())

        # Still counting events after all that.
        before = self.malformed()
        r.event(["not a publication"])
        wait_until(lambda: self.malformed() == before + 1, 10, what="a later event counted")


if __name__ == "__main__":
    ocs_e2e.main()
