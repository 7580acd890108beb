#!/usr/bin/python3
"""Proves tests/wamp_router/router.py against Debian's python3-autobahn.

The router runs as a child process (its command line, on port 0); every
client is a stock autobahn asyncio ApplicationSession or Component, or a raw
socket for hostile input. Run: /usr/bin/python3 tests/wamp_router/router_test.py
"""

import asyncio
import json
import os
import socket
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import txaio  # noqa: E402
txaio.use_asyncio()

import msgpack  # noqa: E402
from autobahn.asyncio.component import Component  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import (  # noqa: E402
    WampWebSocketClientFactory, WebSocketClientFactory, WebSocketClientProtocol)
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer  # noqa: E402
from autobahn.wamp.types import (  # noqa: E402
    CallResult, ComponentConfig, PublishOptions, RegisterOptions, SubscribeOptions)

from router import RouterSubprocess, RouterThread  # noqa: E402

REALM = "test_realm"
SERIALIZERS = {"msgpack": MsgPackSerializer, "json": JsonSerializer}
TIMEOUT = 5


class Client(ApplicationSession):
    """A stock ApplicationSession that reports join and leave."""

    def __init__(self, config, joined, left):
        super().__init__(config)
        self._joined = joined
        self._left = left

    def onJoin(self, details):
        if not self._joined.done():
            self._joined.set_result(self)

    def onLeave(self, details):
        if not self._left.done():
            self._left.set_result(details)
        if not self._joined.done():
            self._joined.set_exception(RuntimeError("left: %s %s" % (details.reason, details.message)))
        self.disconnect()


async def connect(port, serializer="msgpack", realm=REALM):
    loop = asyncio.get_running_loop()
    joined, left = loop.create_future(), loop.create_future()
    factory = WampWebSocketClientFactory(
        lambda: Client(ComponentConfig(realm), joined, left),
        url="ws://127.0.0.1:%d/ws" % port, serializers=[SERIALIZERS[serializer]()])
    transport, _ = await loop.create_connection(factory, "127.0.0.1", port)
    try:
        session = await asyncio.wait_for(asyncio.shield(joined), TIMEOUT)
    except BaseException:
        transport.close()
        raise
    session.left_future = left
    session.raw_transport = transport
    return session


async def close(*sessions):
    for s in sessions:
        if s.is_attached():
            s.leave()
    for s in sessions:
        try:
            await asyncio.wait_for(asyncio.shield(s.left_future), TIMEOUT)
        except asyncio.TimeoutError:
            pass
        s.raw_transport.close()


def http_post(port, body, path="/call", raw=False):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Collector:
    def __init__(self):
        self.events = []
        self.changed = asyncio.Event()

    def __call__(self, *args, **kwargs):
        details = kwargs.pop("details", None)
        self.events.append((list(args), kwargs, details))
        self.changed.set()

    async def wait_for(self, n):
        async def loop():
            while len(self.events) < n:
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(loop(), TIMEOUT)
        return self.events


class RouterTestBase(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.router = RouterSubprocess(realm=REALM, log_level="warning")
        cls.port = cls.router.start()

    @classmethod
    def tearDownClass(cls):
        cls.router.stop()

    async def asyncSetUp(self):
        self.sessions = []

    async def asyncTearDown(self):
        await close(*self.sessions)

    async def join(self, serializer="msgpack"):
        s = await connect(self.port, serializer)
        self.sessions.append(s)
        return s


class SessionTest(RouterTestBase):
    async def test_welcome_details(self):
        for ser in SERIALIZERS:
            with self.subTest(serializer=ser):
                s = await self.join(ser)
                self.assertGreater(s.session_id, 0)
                self.assertLessEqual(s.session_id, 2 ** 53)
                self.assertEqual(s._realm, REALM)
                features = s._router_roles["broker"].pattern_based_subscription
                self.assertTrue(features)
                self.assertIn("dealer", s._router_roles)

    async def test_unknown_realm_is_aborted(self):
        with self.assertRaises(RuntimeError) as cm:
            await connect(self.port, "json", realm="no_such_realm")
        self.assertIn("wamp.error.no_such_realm", str(cm.exception))

    async def test_goodbye_is_answered(self):
        s = await connect(self.port, "msgpack")
        s.leave("wamp.close.normal")
        details = await asyncio.wait_for(s.left_future, TIMEOUT)
        self.assertEqual(details.reason, "wamp.close.goodbye_and_out")
        s.raw_transport.close()

    async def test_component_api(self):
        """autobahn's Component (the modern entry point) joins, calls, leaves."""
        loop = asyncio.get_running_loop()
        result = loop.create_future()
        comp = Component(transports=[{
            "type": "websocket", "url": "ws://127.0.0.1:%d/ws" % self.port,
            "serializers": ["msgpack"], "max_retries": 0}], realm=REALM)

        @comp.on_join
        async def joined(session, details):
            await session.register(lambda x: x * 2, "test.component.double")
            result.set_result(await session.call("test.component.double", 21))
            await session.leave()

        done = comp.start(loop=loop)
        self.assertEqual(await asyncio.wait_for(result, TIMEOUT), 42)
        await asyncio.wait_for(done, TIMEOUT)


class DealerTest(RouterTestBase):
    async def test_call_round_trip(self):
        for ser in SERIALIZERS:
            with self.subTest(serializer=ser):
                callee, caller = await self.join(ser), await self.join(ser)
                uri = "test.dealer.echo_%s" % ser

                def echo(*args, **kwargs):
                    return CallResult(*args, **kwargs)
                reg = await callee.register(echo, uri)
                args = [1, -2 ** 40, 1.25, "text", True, None, [1, [2]], {"k": {"n": 1}}]
                res = await caller.call(uri, *args, a=1, b=[True, 0.5])
                self.assertIsInstance(res, CallResult)
                self.assertEqual(list(res.results), args)
                self.assertEqual(res.kwresults, {"a": 1, "b": [True, 0.5]})
                # one positional result comes back as that value
                one = await callee.register(lambda: [0, "msg", {"x": 1}], uri + ".one")
                self.assertEqual(await caller.call(uri + ".one"), [0, "msg", {"x": 1}])
                await reg.unregister()
                await one.unregister()
                with self.assertRaises(ApplicationError) as cm:
                    await caller.call(uri)
                self.assertEqual(cm.exception.error, "wamp.error.no_such_procedure")

    async def test_errors_propagate(self):
        for ser in SERIALIZERS:
            with self.subTest(serializer=ser):
                callee, caller = await self.join(ser), await self.join(ser)
                uri = "test.dealer.fail_%s" % ser

                def fail(x):
                    raise ApplicationError("com.example.failed", "bad", x, code=7)
                await callee.register(fail, uri)
                with self.assertRaises(ApplicationError) as cm:
                    await caller.call(uri, 5)
                self.assertEqual(cm.exception.error, "com.example.failed")
                self.assertEqual(list(cm.exception.args), ["bad", 5])
                self.assertEqual(cm.exception.kwargs, {"code": 7})
                with self.assertRaises(ApplicationError) as cm:
                    await caller.call("test.dealer.nobody_%s" % ser)
                self.assertEqual(cm.exception.error, "wamp.error.no_such_procedure")
                with self.assertRaises(ApplicationError) as cm:
                    await caller.register(lambda: 1, uri)
                self.assertEqual(cm.exception.error, "wamp.error.procedure_already_exists")

    async def test_cross_serializer_call(self):
        for caller_ser, callee_ser in (("json", "msgpack"), ("msgpack", "json")):
            with self.subTest(caller=caller_ser, callee=callee_ser):
                callee, caller = await self.join(callee_ser), await self.join(caller_ser)
                uri = "test.dealer.cross_%s_%s" % (caller_ser, callee_ser)
                seen = []

                def echo(*args, **kwargs):
                    seen.append((args, kwargs))
                    return CallResult(*args, **kwargs)
                await callee.register(echo, uri)
                payload = [1615389657.2904894, 3, "s", False, {"d": [1.5, None]}]
                res = await caller.call(uri, *payload, password=None, timeout=2.5)
                self.assertEqual(list(seen[0][0]), payload)
                self.assertEqual(seen[0][1], {"password": None, "timeout": 2.5})
                self.assertEqual(list(res.results), payload)
                self.assertEqual(res.kwresults, {"password": None, "timeout": 2.5})

    async def test_close_cleans_registrations(self):
        for ser in SERIALIZERS:
            with self.subTest(serializer=ser):
                a = await connect(self.port, ser)
                uri = "test.dealer.owned_%s" % ser
                await a.register(lambda: "a", uri)
                a.raw_transport.abort()  # abrupt: no GOODBYE
                b = await self.join(ser)
                for _ in range(100):
                    try:
                        await b.register(lambda: "b", uri)
                        break
                    except ApplicationError as e:
                        self.assertEqual(e.error, "wamp.error.procedure_already_exists")
                        await asyncio.sleep(0.02)
                else:
                    self.fail("registration was not released")
                self.assertEqual(await b.call(uri), "b")

    async def test_callee_gone_mid_call(self):
        for ser in SERIALIZERS:
            with self.subTest(serializer=ser):
                callee = await connect(self.port, ser)
                caller = await self.join(ser)
                uri = "test.dealer.hang_%s" % ser
                entered = asyncio.get_running_loop().create_future()
                release = asyncio.Event()

                async def hang():
                    entered.set_result(True)
                    await release.wait()
                await callee.register(hang, uri)
                call = asyncio.ensure_future(caller.call(uri))
                await asyncio.wait_for(entered, TIMEOUT)
                callee.raw_transport.abort()
                with self.assertRaises(ApplicationError) as cm:
                    await asyncio.wait_for(call, TIMEOUT)
                self.assertEqual(cm.exception.error, "wamp.error.canceled")
                release.set()
                await asyncio.sleep(0)

    async def test_pattern_registration_refused(self):
        s = await self.join("json")
        with self.assertRaises(ApplicationError) as cm:
            await s.register(lambda: 1, "test.dealer.", options=RegisterOptions(match="prefix"))
        self.assertEqual(cm.exception.error, "wamp.error.invalid_argument")


class BrokerTest(RouterTestBase):
    async def test_exact_prefix_wildcard(self):
        for ser in SERIALIZERS:
            with self.subTest(serializer=ser):
                pub, sub = await self.join(ser), await self.join(ser)
                root = "obs%s" % ser
                exact, prefix, wild = Collector(), Collector(), Collector()
                await sub.subscribe(exact, root + ".a.feeds.temps",
                                    options=SubscribeOptions(details=True))
                await sub.subscribe(prefix, root + ".a.",
                                    options=SubscribeOptions(match="prefix", details=True))
                await sub.subscribe(wild, root + "..feeds.",
                                    options=SubscribeOptions(match="wildcard", details=True))
                message = [{"temps": {"block_name": "temps", "timestamps": [1.5],
                                      "data": {"c": [2.5]}}}, {"record": True}]
                await pub.publish(root + ".a.feeds.temps", message,
                                  options=PublishOptions(acknowledge=True))
                await pub.publish(root + ".b.feeds.heartbeat", {"acq": 3},
                                  options=PublishOptions(acknowledge=True))
                # component count differs: no wildcard match
                await pub.publish(root + ".b.c.feeds.x", 1, options=PublishOptions(acknowledge=True))
                await pub.publish(root + ".a.other", "p", options=PublishOptions(acknowledge=True))
                await wild.wait_for(2)
                await prefix.wait_for(2)
                await exact.wait_for(1)
                await asyncio.sleep(0.1)
                self.assertEqual(len(exact.events), 1)
                self.assertEqual(exact.events[0][0], [message])
                self.assertEqual(exact.events[0][2].topic, root + ".a.feeds.temps")
                self.assertEqual([(e[0], e[2].topic) for e in wild.events],
                                 [([message], root + ".a.feeds.temps"),
                                  ([{"acq": 3}], root + ".b.feeds.heartbeat")])
                self.assertEqual([(e[0], e[2].topic) for e in prefix.events],
                                 [([message], root + ".a.feeds.temps"), (["p"], root + ".a.other")])

    async def test_publisher_excluded_unless_asked(self):
        for ser in SERIALIZERS:
            with self.subTest(serializer=ser):
                s = await self.join(ser)
                other = await self.join(ser)
                mine, theirs = Collector(), Collector()
                topic = "test.broker.self_%s" % ser
                await s.subscribe(mine, topic)
                await other.subscribe(theirs, topic)
                await s.publish(topic, 1, options=PublishOptions(acknowledge=True))
                await s.publish(topic, 2, options=PublishOptions(acknowledge=True, exclude_me=False))
                await theirs.wait_for(2)
                await mine.wait_for(1)
                await asyncio.sleep(0.1)
                self.assertEqual([e[0] for e in mine.events], [[2]])
                self.assertEqual([e[0] for e in theirs.events], [[1], [2]])

    async def test_shared_subscription_id_and_unsubscribe(self):
        a, b, pub = await self.join("msgpack"), await self.join("json"), await self.join("json")
        ca, cb = Collector(), Collector()
        sa = await a.subscribe(ca, "test.broker.shared", options=SubscribeOptions(match="prefix"))
        sb = await b.subscribe(cb, "test.broker.shared", options=SubscribeOptions(match="prefix"))
        self.assertEqual(sa.id, sb.id)
        await sa.unsubscribe()
        await pub.publish("test.broker.shared.x", 1, options=PublishOptions(acknowledge=True))
        await cb.wait_for(1)
        await asyncio.sleep(0.1)
        self.assertEqual(ca.events, [])

    async def test_cross_serializer_publish(self):
        for pub_ser, sub_ser in (("json", "msgpack"), ("msgpack", "json")):
            with self.subTest(publisher=pub_ser, subscriber=sub_ser):
                pub, sub = await self.join(pub_ser), await self.join(sub_ser)
                c = Collector()
                topic = "observatory.x_%s.feeds.false_temperatures" % pub_ser
                await sub.subscribe(c, "observatory..feeds.",
                                    options=SubscribeOptions(match="wildcard", details=True))
                message = [{"temps": {"block_name": "temps",
                                      "timestamps": [1615389657.2904894, 1615389658.0],
                                      "data": {"channel_00": [0.1, -2.5], "n": [1, 2],
                                               "ok": [True, False]}}},
                           {"agent_address": "observatory.x", "record": True}]
                await pub.publish(topic, message, k=1, options=PublishOptions(acknowledge=True))
                events = await c.wait_for(1)
                self.assertEqual(events[0][0], [message])
                self.assertEqual(events[0][1], {"k": 1})
                self.assertEqual(events[0][2].topic, topic)

class HttpBridgeTest(RouterTestBase):
    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.callee = await self.join("msgpack")

        def ops(action, op_name, params=None, timeout=None, password=None):
            return [0, "Session active.", {"op_name": op_name, "action": action,
                                           "timeout": timeout, "password": password}]

        def three():
            return CallResult(0, "three", {})

        def fail():
            raise ApplicationError("com.example.denied", "no", reason="x")
        await self.callee.register(ops, "test.bridge.ops")
        await self.callee.register(three, "test.bridge.three")
        await self.callee.register(fail, "test.bridge.fail")
        await self.callee.register(lambda **kw: CallResult(**kw), "test.bridge.kw")

    async def post(self, body, path="/call"):
        return await asyncio.to_thread(http_post, self.port, body, path)

    async def test_success_shape(self):
        status, reply = await self.post({"procedure": "test.bridge.ops",
                                         "args": ["status", "record", {}, None],
                                         "kwargs": {"password": None}})
        self.assertEqual(status, 200)
        self.assertEqual(reply, {"args": [[0, "Session active.", {
            "op_name": "record", "action": "status", "timeout": None, "password": None}]],
            "kwargs": {}})
        status, reply = await self.post({"procedure": "test.bridge.three", "args": []})
        self.assertEqual(reply, {"args": [0, "three", {}], "kwargs": {}})
        status, reply = await self.post({"procedure": "test.bridge.kw", "kwargs": {"a": [1]}})
        self.assertEqual(reply, {"args": [], "kwargs": {"a": [1]}})

    async def test_error_shape(self):
        status, reply = await self.post({"procedure": "test.bridge.fail", "args": [], "kwargs": {}})
        self.assertEqual(status, 200)
        self.assertEqual(reply, {"error": "com.example.denied", "args": ["no"],
                                 "kwargs": {"reason": "x"}})
        status, reply = await self.post({"procedure": "test.bridge.nobody"})
        self.assertEqual(status, 200)
        self.assertEqual(reply["error"], "wamp.error.no_such_procedure")

    async def test_malformed_requests(self):
        for body in (b"{not json", b"[1, 2]", json.dumps({"args": []}).encode(),
                     json.dumps({"procedure": "x", "args": {}}).encode()):
            with self.subTest(body=body):
                status, reply = await self.post(body)
                self.assertEqual(status, 400)
                self.assertIn("error", reply)
        status, _ = await self.post({"procedure": "x"}, path="/nowhere")
        self.assertEqual(status, 404)

    async def test_keep_alive_and_expect_continue(self):
        """Two requests on one connection, the first with Expect: 100-continue (as curl)."""
        def run():
            body = json.dumps({"procedure": "test.bridge.ops", "args": ["status", "x"]}).encode()
            with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as sock:
                sock.sendall(b"POST /call HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(body))
                first = sock.recv(100)
                sock.sendall(body)
                replies = []
                data = b""
                for i in range(2):
                    while b"\r\n\r\n" not in data:
                        data += sock.recv(65536)
                    head, _, data = data.partition(b"\r\n\r\n")
                    length = int([h for h in head.split(b"\r\n")
                                  if h.lower().startswith(b"content-length")][0].split(b":")[1])
                    while len(data) < length:
                        data += sock.recv(65536)
                    replies.append((head.split(b"\r\n")[0], json.loads(data[:length])))
                    data = data[length:]
                    if i == 0:
                        sock.sendall(b"POST /call HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                                     % len(body) + body)
                return first, replies
        first, replies = await asyncio.to_thread(run)
        self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue"))
        for status_line, reply in replies:
            self.assertEqual(status_line, b"HTTP/1.1 200 OK")
            self.assertEqual(reply["args"][0][1], "Session active.")


class RawWebSocket(WebSocketClientProtocol):
    def onOpen(self):
        self.factory.opened.set_result(self)

    def onMessage(self, payload, isBinary):
        self.factory.messages.append((payload, isBinary))

    def onClose(self, wasClean, code, reason):
        if not self.factory.closed.done():
            self.factory.closed.set_result(code)


async def raw_ws(port, protocol):
    loop = asyncio.get_running_loop()
    f = WebSocketClientFactory("ws://127.0.0.1:%d/ws" % port, protocols=[protocol])
    f.protocol = RawWebSocket
    f.opened, f.closed, f.messages = loop.create_future(), loop.create_future(), []
    transport, _ = await loop.create_connection(f, "127.0.0.1", port)
    proto = await asyncio.wait_for(f.opened, TIMEOUT)
    return f, proto, transport


class HostileInputTest(RouterTestBase):
    async def check_router_alive(self):
        for ser in SERIALIZERS:
            s = await self.join(ser)
            await s.register(lambda: "alive", "test.hostile.alive_%s" % ser)
            self.assertEqual(await s.call("test.hostile.alive_%s" % ser), "alive")
            await close(s)
            self.sessions.remove(s)

    async def test_garbage_is_aborted(self):
        cases = [
            ("wamp.2.json", b"this is not json", False),
            ("wamp.2.json", b'{"an": "object"}', False),
            ("wamp.2.json", b"[]", False),
            ("wamp.2.json", b'["1", "test_realm", {}]', False),
            ("wamp.2.json", b'[48, 1, {}, "x"]', False),  # CALL before HELLO
            ("wamp.2.json", b'[1, "test_realm", {"roles": []}]', False),
            ("wamp.2.json", b"[" * 100000 + b"]" * 100000, False),
            ("wamp.2.msgpack", b"\xc1\xc1\xc1", True),
            ("wamp.2.msgpack", msgpack.packb([999, 1, 2]), True),
            ("wamp.2.msgpack", msgpack.packb([1, "test_realm", {"roles": {"caller": {}}}])
             + b"", True),  # valid HELLO, then garbage below
        ]
        for protocol, payload, binary in cases:
            with self.subTest(protocol=protocol, payload=payload[:40]):
                f, proto, transport = await raw_ws(self.port, protocol)
                proto.sendMessage(payload, isBinary=binary)
                if payload.startswith(msgpack.packb([1, "test_realm", {"roles": {"caller": {}}}])):
                    # joined: now a non-list and a wrong-typed CALL
                    proto.sendMessage(msgpack.packb([48, "x", {}, "proc"]), isBinary=True)
                code = await asyncio.wait_for(f.closed, TIMEOUT)
                self.assertIsNotNone(code)
                decode = (lambda p: msgpack.unpackb(p)) if binary else (lambda p: json.loads(p))
                msgs = [decode(p) for p, _ in f.messages]
                self.assertEqual(msgs[-1][0], 3, msgs)  # ABORT
                self.assertEqual(msgs[-1][2], "wamp.error.protocol_violation")
                transport.close()
        await self.check_router_alive()

    async def test_invalid_uris_answered_with_errors(self):
        """autobahn checks URIs client-side, so speak raw JSON WAMP here."""
        f, proto, transport = await raw_ws(self.port, "wamp.2.json")
        send = [
            [1, REALM, {"roles": {"publisher": {}, "subscriber": {}, "caller": {}}}],
            [16, 1, {"acknowledge": True}, "bad topic..x", [1]],
            [16, 2, {}, "bad topic", [1]],  # no acknowledge: silently dropped
            [32, 3, {}, "a..b"],
            [32, 4, {"match": "regex"}, "a"],
            [48, 5, {}, "no such.proc"],
            [34, 6, 12345],
            [66, 7, 12345],
            [16, 8, {"acknowledge": True}, "a.b.c", [], {"k": 1}],
        ]
        for m in send:
            proto.sendMessage(json.dumps(m).encode(), isBinary=False)
        for _ in range(100):
            if len(f.messages) >= 8:
                break
            await asyncio.sleep(0.02)
        msgs = [json.loads(p) for p, binary in f.messages]
        self.assertFalse(any(binary for _, binary in f.messages))
        self.assertEqual(msgs[0][0], 2)
        self.assertEqual([m[:3] + m[4:5] for m in msgs[1:7]], [
            [8, 16, 1, "wamp.error.invalid_uri"],
            [8, 32, 3, "wamp.error.invalid_uri"],
            [8, 32, 4, "wamp.error.invalid_argument"],
            [8, 48, 5, "wamp.error.invalid_uri"],
            [8, 34, 6, "wamp.error.no_such_subscription"],
            [8, 66, 7, "wamp.error.no_such_registration"]])
        self.assertEqual(msgs[7][:2], [17, 8])
        proto.sendMessage(json.dumps([6, {}, "wamp.close.close_realm"]).encode())
        for _ in range(100):
            if len(f.messages) >= 9:
                break
            await asyncio.sleep(0.02)
        self.assertEqual(json.loads(f.messages[8][0]), [6, {}, "wamp.close.goodbye_and_out"])
        transport.close()

    async def test_http_garbage(self):
        def run(data):
            with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as sock:
                sock.sendall(data)
                out = b""
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return out
                    out += chunk
        for data in (b"\x00\x01\x02 garbage\r\n\r\n", b"GET / HTTP/1.1\r\nbroken header\r\n\r\n",
                     b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", b"X" * 70000,
                     b"POST /call HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n"):
            with self.subTest(data=data[:30]):
                out = await asyncio.to_thread(run, data)
                self.assertRegex(out[:12], rb"HTTP/1.1 4\d\d")
        await self.check_router_alive()

    async def test_unsupported_subprotocol_refused(self):
        loop = asyncio.get_running_loop()
        f = WebSocketClientFactory("ws://127.0.0.1:%d/ws" % self.port, protocols=["wamp.2.cbor"])
        f.protocol = RawWebSocket
        f.opened, f.closed, f.messages = loop.create_future(), loop.create_future(), []
        transport, _ = await loop.create_connection(f, "127.0.0.1", self.port)
        await asyncio.wait_for(f.closed, TIMEOUT)
        self.assertFalse(f.opened.done())
        transport.close()


class RawMsgpackTest(RouterTestBase):
    """The exact frames autobahn-cpp 17.5 (the C++ adapter's library) sends
    and parses: its HELLO, binary frames, one positional [message, feed] arg."""

    async def test_autobahn_cpp_shapes(self):
        f, proto, transport = await raw_ws(self.port, "wamp.2.msgpack")
        pub = await self.join("json")

        def send(m):
            proto.sendMessage(msgpack.packb(m, use_bin_type=True), isBinary=True)

        async def receive(n):
            for _ in range(250):
                if len(f.messages) >= n:
                    break
                await asyncio.sleep(0.02)
            self.assertTrue(all(binary for _, binary in f.messages))
            return [msgpack.unpackb(p, raw=False) for p, _ in f.messages]

        send([1, REALM, {"roles": {"caller": {"features": {"call_timeout": True}},
                                   "callee": {"features": {"call_timeout": True}},
                                   "publisher": {}, "subscriber": {}},
                         "authmethods": [], "authid": ""}])
        send([32, 1, {"match": "wildcard"}, "observatory..feeds."])
        send([64, 2, {}, "observatory.influxagent.ops"])
        msgs = await receive(3)
        self.assertEqual(msgs[0][0], 2)
        self.assertEqual(msgs[0][2]["realm"], REALM)
        self.assertEqual([m[:2] for m in msgs[1:]], [[33, 1], [65, 2]])
        feed = {"agent_address": "observatory.fake-data1", "agg_params": {},
                "feed_name": "false_temperatures",
                "address": "observatory.fake-data1.feeds.false_temperatures",
                "record": True, "session_id": "1615389657.29", "agent_class": "FakeDataAgent"}
        message = {"temps": {"block_name": "temps", "timestamps": [1615389657.2904894],
                             "data": {"channel_00": [1.5], "n": [3], "ok": [True]}}}
        await pub.publish(feed["address"], [message, feed], options=PublishOptions(acknowledge=True))
        msgs = await receive(4)
        event = msgs[3]
        self.assertEqual(len(event), 5)  # [EVENT, sub, pub, details, [arg]]: no kwargs element
        self.assertEqual(event[0], 36)
        self.assertEqual(event[1], msgs[1][2])
        self.assertEqual(event[3], {"topic": feed["address"]})
        self.assertEqual(event[4], [[message, feed]])
        # an OCS client's ops call, as OCSClient sends it through the bridge
        call = asyncio.ensure_future(asyncio.to_thread(http_post, self.port, {
            "procedure": "observatory.influxagent.ops", "args": ["wait", "record", {}],
            "kwargs": {"timeout": 1.5, "password": None}}))
        msgs = await receive(5)
        inv = msgs[4]
        self.assertEqual(inv[:3], [68, inv[1], msgs[2][2]])
        self.assertEqual(inv[4:], [["wait", "record", {}], {"timeout": 1.5, "password": None}])
        # autobahn-cpp answers with result(std::make_tuple(list)): ONE positional arg
        send([70, inv[1], {}, [[0, "Idle.", {}]]])
        status, reply = await asyncio.wait_for(call, TIMEOUT)
        self.assertEqual((status, reply), (200, {"args": [[0, "Idle.", {}]], "kwargs": {}}))
        send([6, {}, "wamp.close.normal"])
        msgs = await receive(6)
        self.assertEqual(msgs[5], [6, {}, "wamp.close.goodbye_and_out"])
        transport.close()


class InProcessRouterTest(unittest.IsolatedAsyncioTestCase):
    """RouterThread (the router on its own loop in this process), with a
    small message limit."""

    async def asyncSetUp(self):
        self.router = RouterThread(realm=REALM, max_message_bytes=64 * 1024)
        self.port = await asyncio.to_thread(self.router.start)

    async def asyncTearDown(self):
        await asyncio.to_thread(self.router.stop)

    async def test_oversized_messages(self):
        for ser in SERIALIZERS:
            with self.subTest(serializer=ser):
                big = await connect(self.port, ser)
                await big.register(lambda: 1, "test.limit.owned")
                big.publish("test.limit.big", "x" * 100000)
                details = await asyncio.wait_for(big.left_future, TIMEOUT)
                self.assertEqual(details.reason, "wamp.close.transport_lost")
                big.raw_transport.close()
                ok = await connect(self.port, ser)
                await ok.register(lambda: "fine", "test.limit.owned")  # released
                self.assertEqual(await ok.call("test.limit.owned"), "fine")
                await close(ok)
        status, reply = await asyncio.to_thread(
            http_post, self.port, {"procedure": "x", "args": ["y" * 100000]})
        self.assertEqual(status, 413)

    async def test_stop_says_goodbye(self):
        s = await connect(self.port, "msgpack")
        await asyncio.to_thread(self.router.stop)
        details = await asyncio.wait_for(s.left_future, TIMEOUT)
        self.assertEqual(details.reason, "wamp.close.system_shutdown")
        s.raw_transport.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
