#!/usr/bin/python3
"""A small, standard WAMP v2 router for tests (no WAMP router is packaged in Debian).

One realm, anonymous authentication, WebSocket transport with the subprotocols
`wamp.2.msgpack` (binary frames) and `wamp.2.json` (text frames), the Basic
Profile broker and dealer roles plus pattern-based subscriptions (prefix and
wildcard), publisher exclusion and black/white listing, caller/publisher
disclosure, progressive call results and call canceling.

On the same TCP port it serves crossbar's HTTP *caller* bridge: `POST /call`
with `{"procedure": uri, "args": [...], "kwargs": {...}}`. WebSocket upgrades
are accepted on `/ws` (`--ws-path`). A small asyncio HTTP front reads each
connection's first request head; an upgrade is handed, bytes and all, to
autobahn's WebSocketServerProtocol, anything else is answered as plain HTTP.

Run:   /usr/bin/python3 router.py --port 0 [--host 127.0.0.1] [--realm test_realm]
       prints `LISTENING <port>` on stdout once ready, logs to stderr.
Import: Router (asyncio, `await start()` / `await stop()`), RouterThread
       (own loop in a thread: `start()` -> port, `stop()`), RouterSubprocess
       (runs this file as a child process: `start()` -> port, `stop()`).
"""

import argparse
import asyncio
import base64
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import txaio
txaio.use_asyncio()  # noqa: E402

import msgpack  # noqa: E402
from autobahn.asyncio.websocket import (  # noqa: E402
    WebSocketServerFactory, WebSocketServerProtocol)
from autobahn.websocket.types import ConnectionDeny  # noqa: E402

log = logging.getLogger("wamp_router")

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_HTTP_HEAD_BYTES = 64 * 1024
HTTP_IDLE_TIMEOUT_S = 60.0
MAX_ID = 2 ** 53

# WAMP message codes
HELLO, WELCOME, ABORT, GOODBYE, ERROR = 1, 2, 3, 6, 8
PUBLISH, PUBLISHED = 16, 17
SUBSCRIBE, SUBSCRIBED, UNSUBSCRIBE, UNSUBSCRIBED, EVENT = 32, 33, 34, 35, 36
CALL, CANCEL, RESULT = 48, 49, 50
REGISTER, REGISTERED, UNREGISTER, UNREGISTERED = 64, 65, 66, 67
INVOCATION, INTERRUPT, YIELD = 68, 69, 70

SUBPROTOCOLS = ("wamp.2.msgpack", "wamp.2.json")

# Loose URIs as crossbar accepts them by default: components of any
# characters but whitespace, '.' and '#'.
_URI_EXACT = re.compile(r"^([^\s.#]+\.)*([^\s.#]+)$")
_URI_PREFIX = re.compile(r"^([^\s.#]+\.)*([^\s.#]*)$")
_URI_WILDCARD = re.compile(r"^(([^\s.#]+\.)|\.)*([^\s.#]+)?$")

ROUTER_ROLES = {
    "broker": {"features": {
        "pattern_based_subscription": True,
        "publisher_exclusion": True,
        "publisher_identification": True,
        "subscriber_blackwhite_listing": True,
    }},
    "dealer": {"features": {
        "caller_identification": True,
        "call_canceling": True,
        "call_timeout": True,
        "progressive_call_results": True,
        "pattern_based_registration": False,
        "shared_registration": False,
    }},
}


class ProtocolViolation(Exception):
    pass


class SerializationError(Exception):
    pass


def _new_id():
    return random.randint(1, MAX_ID)


def _is_id(v):
    return type(v) is int and 0 <= v <= MAX_ID


def _valid_uri(uri, match="exact"):
    if not isinstance(uri, str) or not uri:
        return False
    pattern = {"exact": _URI_EXACT, "prefix": _URI_PREFIX,
               "wildcard": _URI_WILDCARD}.get(match)
    return bool(pattern and pattern.match(uri))


def wildcard_matches(pattern, topic):
    """`observatory..feeds.` matches `observatory.x.feeds.y`: an empty
    component matches any one component; component counts must be equal."""
    p = pattern.split(".")
    t = topic.split(".")
    if len(p) != len(t):
        return False
    return all(a == "" or a == b for a, b in zip(p, t))


# --------------------------------------------------------------- serializers

def _json_default(o):
    # autobahn's JSON convention for binary: "\0" + base64.
    if isinstance(o, (bytes, bytearray)):
        return "\x00" + base64.b64encode(bytes(o)).decode("ascii")
    if isinstance(o, tuple):
        return list(o)
    raise TypeError("not JSON serializable: %s" % type(o).__name__)


def _json_unbinary(v):
    if isinstance(v, str):
        if v.startswith("\x00"):
            try:
                return base64.b64decode(v[1:], validate=True)
            except Exception:
                return v
        return v
    if isinstance(v, list):
        return [_json_unbinary(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_unbinary(x) for k, x in v.items()}
    return v


def json_encode(obj):
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                          default=_json_default).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as e:
        raise SerializationError(str(e))


def json_decode(data):
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8")
    obj = json.loads(data)
    if "\\u0000" in data:
        obj = _json_unbinary(obj)
    return obj


def msgpack_encode(obj):
    try:
        return msgpack.packb(obj, use_bin_type=True)
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        raise SerializationError(str(e))


def msgpack_decode(data):
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


SERIALIZERS = {
    "wamp.2.json": (json_encode, json_decode, False),
    "wamp.2.msgpack": (msgpack_encode, msgpack_decode, True),
}


# --------------------------------------------------------------- validation

def _payload_ok(msg, first):
    """Optional Arguments|list, ArgumentsKw|dict at msg[first:]."""
    rest = msg[first:]
    if len(rest) > 2:
        return False
    if len(rest) >= 1 and not isinstance(rest[0], list):
        return False
    if len(rest) == 2 and not isinstance(rest[1], dict):
        return False
    return True


def _payload(msg, first):
    return list(msg[first:first + 2])


# type -> (min length, max length, checks for positions 1..)
_SHAPES = {
    HELLO: (3, 3, [str, dict]),
    GOODBYE: (3, 3, [dict, str]),
    ABORT: (3, 3, [dict, str]),
    ERROR: (5, 7, ["id", "id", dict, str]),
    PUBLISH: (4, 6, ["id", dict, str]),
    SUBSCRIBE: (4, 4, ["id", dict, str]),
    UNSUBSCRIBE: (3, 3, ["id", "id"]),
    CALL: (4, 6, ["id", dict, str]),
    CANCEL: (3, 3, ["id", dict]),
    REGISTER: (4, 4, ["id", dict, str]),
    UNREGISTER: (3, 3, ["id", "id"]),
    YIELD: (3, 5, ["id", dict]),
}
_PAYLOAD_AT = {ERROR: 5, PUBLISH: 4, CALL: 4, YIELD: 3}


def validate_message(msg):
    if not isinstance(msg, list) or not msg:
        raise ProtocolViolation("WAMP message is not a non-empty array")
    mtype = msg[0]
    if type(mtype) is not int:
        raise ProtocolViolation("WAMP message type is not an integer")
    shape = _SHAPES.get(mtype)
    if shape is None:
        raise ProtocolViolation("unexpected WAMP message type %r from a client" % mtype)
    lo, hi, checks = shape
    if not lo <= len(msg) <= hi:
        raise ProtocolViolation("invalid length %d for WAMP message type %d" % (len(msg), mtype))
    for i, check in enumerate(checks, start=1):
        v = msg[i]
        ok = _is_id(v) if check == "id" else isinstance(v, check)
        if not ok:
            raise ProtocolViolation("invalid element %d of WAMP message type %d" % (i, mtype))
    if mtype in _PAYLOAD_AT and not _payload_ok(msg, _PAYLOAD_AT[mtype]):
        raise ProtocolViolation("invalid payload of WAMP message type %d" % mtype)
    return mtype


# --------------------------------------------------------------- routing

class Session:
    """One WAMP session; the transport supplies send_message/close_transport."""

    kind = "session"

    def __init__(self, router):
        self.router = router
        self.id = None          # set when joined
        self.roles = {}
        self.authid = None
        self.goodbye_sent = False
        self.subscriptions = set()     # subscription ids
        self.registrations = set()     # registration ids
        self.pending_calls = {}        # call request id -> Invocation (as caller)
        self.invocations = {}          # invocation id -> Invocation (as callee)
        self._next_invocation = 0

    @property
    def joined(self):
        return self.id is not None

    def next_invocation_id(self):
        self._next_invocation = self._next_invocation % MAX_ID + 1
        return self._next_invocation

    def has_feature(self, role, feature):
        r = self.roles.get(role)
        if not isinstance(r, dict):
            return False
        f = r.get("features")
        return isinstance(f, dict) and f.get(feature) is True

    def send_message(self, msg):   # returns False if msg could not be encoded
        raise NotImplementedError

    def close_transport(self, reason):
        pass

    def describe(self):
        return "%s %s" % (self.kind, self.id)


class Registration:
    __slots__ = ("id", "uri", "session")

    def __init__(self, uri, session):
        self.id = _new_id()
        self.uri = uri
        self.session = session


class Subscription:
    __slots__ = ("id", "uri", "match", "sessions")

    def __init__(self, uri, match):
        self.id = _new_id()
        self.uri = uri
        self.match = match
        self.sessions = {}  # session id -> Session (insertion ordered)


class Invocation:
    __slots__ = ("id", "caller", "call_request", "callee", "receive_progress",
                 "timer", "procedure")

    def __init__(self, caller, call_request, callee, procedure, receive_progress):
        self.caller = caller
        self.call_request = call_request
        self.callee = callee
        self.id = callee.next_invocation_id()
        self.procedure = procedure
        self.receive_progress = receive_progress
        self.timer = None


class Router:
    """WAMP routing for one realm plus the asyncio server that carries it."""

    def __init__(self, host="127.0.0.1", port=0, realm="test_realm",
                 ws_path="/ws", call_path="/call", loop=None,
                 max_message_bytes=MAX_MESSAGE_BYTES):
        self.host = host
        self.max_message_bytes = max_message_bytes
        self.port = port
        self.realm = realm
        self.ws_path = ws_path
        self.call_path = call_path
        self.loop = loop
        self.sessions = {}              # id -> Session (joined)
        self.registrations = {}         # uri -> Registration
        self.registrations_by_id = {}
        self.subscriptions = {}         # (match, uri) -> Subscription
        self.subscriptions_by_id = {}
        self._server = None
        self._connections = set()       # live transports (HTTP front and WebSocket)
        self._ws_factory = None
        self._bridge = None
        self.stats = {"calls": 0, "publications": 0, "events": 0,
                      "protocol_violations": 0, "http_calls": 0}

    # ----- lifecycle

    async def start(self):
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        self._ws_factory = WebSocketServerFactory(loop=self.loop, protocols=list(SUBPROTOCOLS))
        self._ws_factory.protocol = WampWebSocketProtocol
        self._ws_factory.router = self
        self._ws_factory.setProtocolOptions(
            maxFramePayloadSize=self.max_message_bytes,
            maxMessagePayloadSize=self.max_message_bytes,
            openHandshakeTimeout=10, closeHandshakeTimeout=1,
            failByDrop=True)
        self._bridge = BridgeSession(self)
        self._bridge.id = _new_id()
        self._server = await self.loop.create_server(
            lambda: HttpFront(self), self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("listening on %s:%d realm=%s ws=%s call=%s", self.host, self.port,
                 self.realm, self.ws_path, self.call_path)
        return self.port

    async def stop(self):
        if self._server is None:
            return
        self._server.close()
        for session in list(self.sessions.values()):
            if session.joined and not session.goodbye_sent:
                session.goodbye_sent = True
                session.send_message([GOODBYE, {"message": "router shutting down"},
                                      "wamp.close.system_shutdown"])
            self.detach(session, "router shutdown")
            session.close_transport("router shutdown")
        await asyncio.sleep(0.05)
        for transport in list(self._connections):
            transport.abort()
        self._connections.clear()
        await self._server.wait_closed()
        self._server = None
        log.info("stopped")

    # ----- session entry points

    def handle(self, session, msg):
        """Routes one decoded message; raises ProtocolViolation."""
        mtype = validate_message(msg)
        if not session.joined:
            if mtype == HELLO:
                return self._hello(session, msg)
            if mtype == GOODBYE and session.goodbye_sent:
                return None  # late reply to our GOODBYE
            raise ProtocolViolation("message type %d before HELLO/WELCOME" % mtype)
        handler = {
            HELLO: None, ABORT: self._abort, GOODBYE: self._goodbye,
            ERROR: self._error, PUBLISH: self._publish, SUBSCRIBE: self._subscribe,
            UNSUBSCRIBE: self._unsubscribe, CALL: self._call, CANCEL: self._cancel,
            REGISTER: self._register, UNREGISTER: self._unregister, YIELD: self._yield,
        }.get(mtype)
        if handler is None:
            raise ProtocolViolation("HELLO on a joined session")
        return handler(session, msg)

    def protocol_violation(self, session, text):
        self.stats["protocol_violations"] += 1
        log.warning("protocol violation from %s: %s", session.describe(), text)
        try:
            session.send_message([ABORT, {"message": text[:500]}, "wamp.error.protocol_violation"])
        except Exception:
            pass
        self.detach(session, "protocol violation")
        session.close_transport("protocol violation")

    def detach(self, session, why):
        """Ends a session: removes its registrations, subscriptions, calls."""
        if not session.joined:
            return
        sid = session.id
        self.sessions.pop(sid, None)
        for reg_id in list(session.registrations):
            reg = self.registrations_by_id.pop(reg_id, None)
            if reg is not None:
                self.registrations.pop(reg.uri, None)
                log.info("unregistered %s (session %s left)", reg.uri, sid)
        session.registrations.clear()
        for sub_id in list(session.subscriptions):
            self._drop_subscriber(sub_id, session)
        session.subscriptions.clear()
        # calls this session is serving: the callers get an error
        for inv in list(session.invocations.values()):
            self._finish_invocation(inv)
            inv.caller.send_message([ERROR, CALL, inv.call_request, {}, "wamp.error.canceled",
                                     ["callee disconnected from in-flight request"]])
        session.invocations.clear()
        # calls this session made: the callees are told when they can hear it
        for inv in list(session.pending_calls.values()):
            self._finish_invocation(inv)
            if inv.callee.has_feature("callee", "call_canceling"):
                inv.callee.send_message([INTERRUPT, inv.id, {"mode": "killnowait"}])
        session.pending_calls.clear()
        session.id = None
        log.info("session %s left (%s)", sid, why)

    # ----- session

    def _hello(self, session, msg):
        _, realm, details = msg
        roles = details.get("roles")
        if not isinstance(roles, dict) or not roles or not all(
                isinstance(r, dict) for r in roles.values()):
            raise ProtocolViolation("HELLO.Details.roles must be a non-empty dict of dicts")
        if realm != self.realm:
            log.info("abort: no such realm %r", realm)
            session.send_message([ABORT, {"message": "no realm %r on this router" % realm},
                                  "wamp.error.no_such_realm"])
            session.close_transport("no such realm")
            return
        methods = details.get("authmethods")
        if isinstance(methods, list) and methods and "anonymous" not in methods:
            session.send_message([ABORT, {"message": "only anonymous authentication is offered"},
                                  "wamp.error.no_auth_method"])
            session.close_transport("no auth method")
            return
        sid = _new_id()
        while sid in self.sessions:
            sid = _new_id()
        session.id = sid
        session.roles = roles
        session.goodbye_sent = False
        authid = details.get("authid")
        session.authid = authid if isinstance(authid, str) and authid else "anonymous-%d" % sid
        self.sessions[sid] = session
        session.send_message([WELCOME, sid, {
            "realm": self.realm, "authid": session.authid, "authrole": "anonymous",
            "authmethod": "anonymous", "authprovider": "static", "roles": ROUTER_ROLES}])
        log.info("session %s joined realm %s (%s, roles %s)", sid, self.realm,
                 session.kind, ",".join(sorted(roles)))

    def _abort(self, session, msg):
        log.info("session %s aborted: %s", session.id, msg[2])
        self.detach(session, "client ABORT")
        session.close_transport("client abort")

    def _goodbye(self, session, msg):
        if session.goodbye_sent:
            self.detach(session, "GOODBYE handshake done")
            session.close_transport("goodbye")
            return
        session.send_message([GOODBYE, {}, "wamp.close.goodbye_and_out"])
        self.detach(session, "client GOODBYE %s" % msg[2])
        # The client closes the transport (or sends a new HELLO).

    # ----- dealer

    def _register(self, session, msg):
        _, req, options, uri = msg
        match = options.get("match", "exact")
        invoke = options.get("invoke", "single")
        if match not in (None, "exact"):
            return session.send_message([ERROR, REGISTER, req, {}, "wamp.error.invalid_argument",
                                         ["pattern-based registration is not supported"]])
        if invoke not in (None, "single"):
            return session.send_message([ERROR, REGISTER, req, {}, "wamp.error.invalid_argument",
                                         ["only invoke=single is supported"]])
        if not _valid_uri(uri):
            return session.send_message([ERROR, REGISTER, req, {}, "wamp.error.invalid_uri",
                                         ["invalid procedure URI %r" % uri]])
        if uri in self.registrations:
            log.info("register %s by %s refused: already registered", uri, session.id)
            return session.send_message([ERROR, REGISTER, req, {},
                                         "wamp.error.procedure_already_exists",
                                         ["register for already registered procedure '%s'" % uri]])
        reg = Registration(uri, session)
        self.registrations[uri] = reg
        self.registrations_by_id[reg.id] = reg
        session.registrations.add(reg.id)
        log.info("registered %s by session %s (registration %d)", uri, session.id, reg.id)
        session.send_message([REGISTERED, req, reg.id])

    def _unregister(self, session, msg):
        _, req, reg_id = msg
        reg = self.registrations_by_id.get(reg_id)
        if reg is None or reg.session is not session:
            return session.send_message([ERROR, UNREGISTER, req, {},
                                         "wamp.error.no_such_registration"])
        del self.registrations_by_id[reg_id]
        self.registrations.pop(reg.uri, None)
        session.registrations.discard(reg_id)
        log.info("unregistered %s by session %s", reg.uri, session.id)
        session.send_message([UNREGISTERED, req])

    def _call(self, session, msg):
        req, options, uri = msg[1], msg[2], msg[3]
        payload = _payload(msg, 4)
        self.stats["calls"] += 1
        if req in session.pending_calls:
            raise ProtocolViolation("CALL request id %d already in flight" % req)
        if not _valid_uri(uri):
            return session.send_message([ERROR, CALL, req, {}, "wamp.error.invalid_uri",
                                         ["invalid procedure URI %r" % uri]])
        reg = self.registrations.get(uri)
        if reg is None:
            log.debug("call %s by %s: no such procedure", uri, session.id)
            return session.send_message([ERROR, CALL, req, {}, "wamp.error.no_such_procedure",
                                         ["no callee registered for procedure <%s>" % uri]])
        callee = reg.session
        receive_progress = options.get("receive_progress") is True
        inv = Invocation(session, req, callee, uri, receive_progress)
        details = {}
        if options.get("disclose_me") is True:
            details["caller"] = session.id
            details["caller_authid"] = session.authid
            details["caller_authrole"] = "anonymous"
        if receive_progress:
            details["receive_progress"] = True
        timeout = options.get("timeout")
        if type(timeout) in (int, float) and timeout > 0:
            details["timeout"] = timeout
        session.pending_calls[req] = inv
        callee.invocations[inv.id] = inv
        log.debug("call %s: session %s -> %s (invocation %d)", uri, session.id, callee.id, inv.id)
        if not callee.send_message([INVOCATION, inv.id, reg.id, details] + payload):
            self._finish_invocation(inv)
            return session.send_message([ERROR, CALL, req, {}, "wamp.error.invalid_payload",
                                         ["call arguments cannot be encoded for the callee"]])
        if type(timeout) in (int, float) and timeout > 0:
            inv.timer = self.loop.call_later(timeout / 1000.0, self._call_timeout, inv)

    def _call_timeout(self, inv):
        inv.timer = None
        if inv.caller.pending_calls.get(inv.call_request) is not inv:
            return
        self._finish_invocation(inv)
        if inv.callee.has_feature("callee", "call_canceling"):
            inv.callee.send_message([INTERRUPT, inv.id, {"mode": "killnowait"}])
        inv.caller.send_message([ERROR, CALL, inv.call_request, {}, "wamp.error.canceled",
                                 ["call timed out"]])

    def _finish_invocation(self, inv):
        if inv.timer is not None:
            inv.timer.cancel()
            inv.timer = None
        if inv.caller.pending_calls.get(inv.call_request) is inv:
            del inv.caller.pending_calls[inv.call_request]
        if inv.callee.invocations.get(inv.id) is inv:
            del inv.callee.invocations[inv.id]

    def _cancel(self, session, msg):
        _, req, options = msg
        inv = session.pending_calls.get(req)
        if inv is None:
            return  # already answered
        mode = options.get("mode", "killnowait")
        if mode not in ("skip", "kill", "killnowait"):
            mode = "killnowait"
        can_interrupt = inv.callee.has_feature("callee", "call_canceling")
        if mode != "skip" and can_interrupt:
            inv.callee.send_message([INTERRUPT, inv.id, {"mode": mode}])
        if mode == "kill" and can_interrupt:
            return  # the callee's ERROR answers the caller
        self._finish_invocation(inv)
        session.send_message([ERROR, CALL, req, {}, "wamp.error.canceled", ["call canceled"]])

    def _yield(self, session, msg):
        inv_id, options = msg[1], msg[2]
        payload = _payload(msg, 3)
        inv = session.invocations.get(inv_id)
        if inv is None:
            log.debug("yield for unknown invocation %d from %s (ignored)", inv_id, session.id)
            return
        if options.get("progress") is True:
            if inv.receive_progress:
                inv.caller.send_message([RESULT, inv.call_request, {"progress": True}] + payload)
            return
        self._finish_invocation(inv)
        if not inv.caller.send_message([RESULT, inv.call_request, {}] + payload):
            inv.caller.send_message([ERROR, CALL, inv.call_request, {}, "wamp.error.invalid_payload",
                                     ["call result cannot be encoded for the caller"]])

    def _error(self, session, msg):
        req_type, inv_id, details, uri = msg[1], msg[2], msg[3], msg[4]
        payload = _payload(msg, 5)
        if req_type != INVOCATION:
            raise ProtocolViolation("ERROR for request type %d from a client" % req_type)
        inv = session.invocations.get(inv_id)
        if inv is None:
            log.debug("error for unknown invocation %d from %s (ignored)", inv_id, session.id)
            return
        self._finish_invocation(inv)
        if not _valid_uri(uri):
            uri = "wamp.error.invalid_uri"
            payload = []
        if not inv.caller.send_message([ERROR, CALL, inv.call_request, {}, uri] + payload):
            inv.caller.send_message([ERROR, CALL, inv.call_request, {}, uri,
                                     ["error payload cannot be encoded for the caller"]])

    # ----- broker

    def _subscribe(self, session, msg):
        _, req, options, topic = msg
        match = options.get("match", "exact")
        if match is None:
            match = "exact"
        if match not in ("exact", "prefix", "wildcard"):
            return session.send_message([ERROR, SUBSCRIBE, req, {}, "wamp.error.invalid_argument",
                                         ["unknown match policy %r" % (match,)]])
        if not _valid_uri(topic, match):
            return session.send_message([ERROR, SUBSCRIBE, req, {}, "wamp.error.invalid_uri",
                                         ["invalid topic URI %r for match %s" % (topic, match)]])
        key = (match, topic)
        sub = self.subscriptions.get(key)
        if sub is None:
            sub = Subscription(topic, match)
            self.subscriptions[key] = sub
            self.subscriptions_by_id[sub.id] = sub
        sub.sessions[session.id] = session
        session.subscriptions.add(sub.id)
        log.info("subscribed session %s to %s (%s, subscription %d)", session.id, topic, match, sub.id)
        session.send_message([SUBSCRIBED, req, sub.id])

    def _drop_subscriber(self, sub_id, session):
        sub = self.subscriptions_by_id.get(sub_id)
        if sub is None:
            return False
        if sub.sessions.pop(session.id, None) is None:
            return False
        if not sub.sessions:
            del self.subscriptions_by_id[sub_id]
            self.subscriptions.pop((sub.match, sub.uri), None)
        return True

    def _unsubscribe(self, session, msg):
        _, req, sub_id = msg
        if sub_id not in session.subscriptions or not self._drop_subscriber(sub_id, session):
            return session.send_message([ERROR, UNSUBSCRIBE, req, {},
                                         "wamp.error.no_such_subscription"])
        session.subscriptions.discard(sub_id)
        log.info("unsubscribed session %s from subscription %d", session.id, sub_id)
        session.send_message([UNSUBSCRIBED, req])

    def matching_subscriptions(self, topic):
        subs = []
        exact = self.subscriptions.get(("exact", topic))
        if exact is not None:
            subs.append(exact)
        for (match, uri), sub in self.subscriptions.items():
            if match == "prefix" and topic.startswith(uri):
                subs.append(sub)
            elif match == "wildcard" and wildcard_matches(uri, topic):
                subs.append(sub)
        return subs

    def _publish(self, session, msg):
        req, options, topic = msg[1], msg[2], msg[3]
        payload = _payload(msg, 4)
        acknowledge = options.get("acknowledge") is True
        self.stats["publications"] += 1
        if not _valid_uri(topic):
            if acknowledge:
                session.send_message([ERROR, PUBLISH, req, {}, "wamp.error.invalid_uri",
                                      ["invalid topic URI %r" % topic]])
            return
        pub_id = _new_id()
        exclude_me = options.get("exclude_me", True) is not False
        exclude = options.get("exclude")
        exclude = set(exclude) if isinstance(exclude, list) else ()
        eligible = options.get("eligible")
        eligible = set(eligible) if isinstance(eligible, list) else None
        disclose = options.get("disclose_me") is True
        delivered = 0
        for sub in self.matching_subscriptions(topic):
            details = {}
            if sub.match != "exact":
                details["topic"] = topic
            if disclose:
                details["publisher"] = session.id
                details["publisher_authid"] = session.authid
                details["publisher_authrole"] = "anonymous"
            event = [EVENT, sub.id, pub_id, details] + payload
            for sid, subscriber in list(sub.sessions.items()):
                if exclude_me and subscriber is session:
                    continue
                if sid in exclude or (eligible is not None and sid not in eligible):
                    continue
                if subscriber.send_message(event):
                    delivered += 1
                else:
                    log.warning("event on %s cannot be encoded for session %s; dropped", topic, sid)
        self.stats["events"] += delivered
        log.debug("publish %s by %s -> %d events", topic, session.id, delivered)
        if acknowledge:
            session.send_message([PUBLISHED, req, pub_id])

    # ----- HTTP caller bridge

    async def bridge_call(self, procedure, args, kwargs):
        """Performs a CALL from the bridge session. Returns (ok, uri, args, kwargs)."""
        return await self._bridge.call(procedure, args, kwargs)


class BridgeSession(Session):
    """The internal session of the HTTP caller bridge."""

    kind = "http-bridge"

    def __init__(self, router):
        super().__init__(router)
        self.roles = {"caller": {"features": {"call_canceling": True}}}
        self.authid = "http-bridge"
        self._next_request = 0
        self._futures = {}

    async def call(self, procedure, args, kwargs):
        self._next_request = self._next_request % MAX_ID + 1
        req = self._next_request
        fut = self.router.loop.create_future()
        self._futures[req] = fut
        try:
            self.router.handle(self, [CALL, req, {}, procedure, args, kwargs])
            return await fut
        finally:
            self._futures.pop(req, None)
            if req in self.pending_calls:  # HTTP client went away: cancel
                self.router._cancel(self, [CANCEL, req, {"mode": "killnowait"}])

    def send_message(self, msg):
        mtype = msg[0]
        if mtype in (RESULT, ERROR):
            req = msg[1] if mtype == RESULT else msg[2]
            fut = self._futures.get(req)
            if fut is None or fut.done():
                return True
            if mtype == RESULT:
                if msg[2].get("progress"):
                    return True
                args = msg[3] if len(msg) > 3 else []
                kwargs = msg[4] if len(msg) > 4 else {}
                fut.set_result((True, None, args, kwargs))
            else:
                args = msg[5] if len(msg) > 5 else []
                kwargs = msg[6] if len(msg) > 6 else {}
                fut.set_result((False, msg[4], args, kwargs))
        return True


class WampWebSocketProtocol(WebSocketServerProtocol):
    """A WAMP session over one WebSocket connection."""

    def onConnect(self, request):
        self.wamp_session = None
        self.router = self.factory.router
        for p in request.protocols:
            if p in SERIALIZERS:
                self.subprotocol = p
                break
        else:
            if request.protocols:
                raise ConnectionDeny(ConnectionDeny.BAD_REQUEST,
                                     "This server only speaks WebSocket subprotocols %s"
                                     % ", ".join(SUBPROTOCOLS))
            self.subprotocol = "wamp.2.json"  # as autobahn: assume JSON, announce nothing
            return None, {}
        return self.subprotocol, {}

    def onOpen(self):
        encode, decode, binary = SERIALIZERS[self.subprotocol]
        self._encode, self._decode, self._binary = encode, decode, binary
        self.wamp_session = WebSocketSession(self.router, self)
        log.debug("websocket open from %s (%s)", self.peer, self.subprotocol)

    def onMessage(self, payload, isBinary):
        session = self.wamp_session
        if session is None or session.closed:
            return
        try:
            msg = self._decode(payload)
        except Exception as e:
            self.router.protocol_violation(session, "cannot decode %s message: %s: %s"
                                           % (self.subprotocol, type(e).__name__, str(e)[:200]))
            return
        try:
            self.router.handle(session, msg)
        except ProtocolViolation as e:
            self.router.protocol_violation(session, str(e))
        except Exception as e:  # a bug of ours: log it, drop this session only
            log.exception("internal error handling a message from session %s", session.id)
            self.router.protocol_violation(session, "internal router error: %s" % e)

    def onClose(self, wasClean, code, reason):
        session = getattr(self, "wamp_session", None)
        if session is not None:
            session.closed = True
            self.router.detach(session, "transport closed (code %s)" % code)
        log.debug("websocket closed from %s code=%s reason=%s", self.peer, code, reason)


class WebSocketSession(Session):
    kind = "websocket"

    def __init__(self, router, proto):
        super().__init__(router)
        self.proto = proto
        self.closed = False

    def send_message(self, msg):
        if self.closed:
            return True
        proto = self.proto
        try:
            data = proto._encode(msg)
        except SerializationError as e:
            log.warning("cannot encode message type %d for session %s (%s): %s",
                        msg[0], self.id, proto.subprotocol, e)
            return False
        if len(data) > self.router.max_message_bytes:
            log.warning("message type %d for session %s exceeds %d bytes; dropped",
                        msg[0], self.id, self.router.max_message_bytes)
            return False
        if proto._binary:
            proto.sendMessage(data, isBinary=True)
        else:
            proto.sendMessage(data, isBinary=False)
        return True

    def close_transport(self, reason):
        if self.closed:
            return
        self.closed = True
        try:
            self.proto.sendClose(1000, reason[:100])
        except Exception:
            if self.proto.transport is not None:
                self.proto.transport.close()


# --------------------------------------------------------------- HTTP front

_STATUS_TEXT = {100: "Continue", 200: "OK", 400: "Bad Request", 404: "Not Found",
                405: "Method Not Allowed", 411: "Length Required",
                413: "Payload Too Large", 426: "Upgrade Required",
                431: "Request Header Fields Too Large", 500: "Internal Server Error",
                501: "Not Implemented"}


class HttpFront(asyncio.Protocol):
    """Reads HTTP request heads; hands WebSocket upgrades to autobahn and
    answers `POST <call_path>` itself (keep-alive, sequential requests)."""

    def __init__(self, router):
        self.router = router
        self.transport = None
        self.buf = bytearray()
        self.busy = False
        self.closing = False
        self.task = None
        self.timer = None

    def connection_made(self, transport):
        self.transport = transport
        self.router._connections.add(transport)
        self._arm_timer()

    def connection_lost(self, exc):
        self.router._connections.discard(self.transport)
        if self.timer:
            self.timer.cancel()
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def _arm_timer(self):
        if self.timer:
            self.timer.cancel()
        self.timer = self.router.loop.call_later(HTTP_IDLE_TIMEOUT_S, self._idle)

    def _idle(self):
        if not self.busy and self.transport is not None:
            self.transport.close()

    def data_received(self, data):
        self.buf += data
        self._arm_timer()
        if not self.busy:
            self._process()

    def _respond(self, status, body_obj, keep_alive=True, extra_headers=()):
        body = json_encode(body_obj) if body_obj is not None else b""
        head = ["HTTP/1.1 %d %s" % (status, _STATUS_TEXT.get(status, "Status")),
                "Server: wamp-test-router",
                "Content-Type: application/json; charset=utf-8",
                "Content-Length: %d" % len(body),
                "Connection: %s" % ("keep-alive" if keep_alive else "close")]
        head.extend(extra_headers)
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
        if not keep_alive:
            self.closing = True
            self.transport.close()

    def _fail(self, status, text):
        log.info("http %d: %s", status, text)
        self._respond(status, {"error": "wamp.error.invalid_argument" if status == 400
                               else "http.error.%d" % status, "args": [text], "kwargs": {}},
                      keep_alive=False)

    def _process(self):
        while not self.busy and not self.closing and self.transport is not None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HTTP_HEAD_BYTES:
                    self._fail(431, "request head too large")
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            lines = head.split("\r\n")
            parts = lines[0].split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                return self._fail(400, "malformed HTTP request line")
            method, target, version = parts
            headers = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    return self._fail(400, "malformed HTTP header line")
                headers[name.strip().lower()] = value.strip()
            path = target.split("?", 1)[0]
            if "websocket" in headers.get("upgrade", "").lower():
                if path != self.router.ws_path:
                    return self._fail(404, "no WebSocket endpoint at %s (use %s)"
                                      % (path, self.router.ws_path))
                return self._hand_off()
            if path == self.router.ws_path:
                return self._fail(426, "WebSocket endpoint: upgrade required")
            if path != self.router.call_path:
                return self._fail(404, "not found: %s" % path)
            if method != "POST":
                return self._fail(405, "only POST is allowed on %s" % path)
            if "chunked" in headers.get("transfer-encoding", "").lower():
                return self._fail(501, "chunked request bodies are not supported")
            try:
                length = int(headers.get("content-length", ""))
            except ValueError:
                return self._fail(411, "Content-Length required")
            if length < 0 or length > self.router.max_message_bytes:
                return self._fail(413, "request body over %d bytes"
                                  % self.router.max_message_bytes)
            if len(self.buf) < end + 4 + length:
                if headers.get("expect", "").lower() == "100-continue" and not getattr(
                        self, "_continued", False):
                    self._continued = True
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            self._continued = False
            body = bytes(self.buf[end + 4:end + 4 + length])
            del self.buf[:end + 4 + length]
            keep_alive = (headers.get("connection", "").lower() != "close"
                          and version != "HTTP/1.0")
            self.busy = True
            self.task = self.router.loop.create_task(self._call(body, keep_alive))

    async def _call(self, body, keep_alive):
        router = self.router
        try:
            try:
                req = json.loads(body.decode("utf-8"))
            except Exception as e:
                return self._fail(400, "request body is not valid JSON: %s" % str(e)[:200])
            if not isinstance(req, dict):
                return self._fail(400, "request body must be a JSON object")
            procedure = req.get("procedure")
            args = req.get("args")
            kwargs = req.get("kwargs")
            if not isinstance(procedure, str) or not procedure:
                return self._fail(400, "missing or invalid 'procedure'")
            if args is None:
                args = []
            if kwargs is None:
                kwargs = {}
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                return self._fail(400, "'args' must be a list and 'kwargs' an object")
            router.stats["http_calls"] += 1
            log.debug("http call %s", procedure)
            ok, uri, rargs, rkwargs = await router.bridge_call(procedure, args, kwargs)
            if ok:
                reply = {"args": rargs, "kwargs": rkwargs}
            else:
                log.info("http call %s -> error %s", procedure, uri)
                reply = {"error": uri, "args": rargs, "kwargs": rkwargs}
            try:
                self._respond(200, reply, keep_alive)
            except SerializationError as e:
                self._respond(500, {"error": "wamp.error.invalid_payload",
                                    "args": ["result is not JSON-representable: %s" % e],
                                    "kwargs": {}}, keep_alive=False)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("http bridge internal error")
            if self.transport is not None and not self.closing:
                self._respond(500, {"error": "http.error.500", "args": [str(e)], "kwargs": {}},
                              keep_alive=False)
        finally:
            self.busy = False
            self.task = None
            if self.transport is not None and not self.closing and self.buf:
                self._process()

    def _hand_off(self):
        if self.timer:
            self.timer.cancel()
            self.timer = None
        proto = self.router._ws_factory()
        data = bytes(self.buf)
        self.buf = bytearray()
        transport = self.transport
        self.transport = None
        self.closing = True
        transport.set_protocol(WsConnectionTracker(proto, self.router, transport))
        proto.connection_made(transport)
        proto.data_received(data)


class WsConnectionTracker(asyncio.Protocol):
    """Forwards to the autobahn protocol and keeps the router's transport set right."""

    def __init__(self, proto, router, transport):
        self.proto = proto
        self.router = router
        self.transport = transport

    def data_received(self, data):
        self.proto.data_received(data)

    def eof_received(self):
        return self.proto.eof_received()

    def pause_writing(self):
        self.proto.pause_writing()

    def resume_writing(self):
        self.proto.resume_writing()

    def connection_lost(self, exc):
        self.router._connections.discard(self.transport)
        self.proto.connection_lost(exc)


# --------------------------------------------------------------- helpers

class RouterThread:
    """Runs a Router on its own event loop in a daemon thread (for tests)."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.loop = None
        self.router = None
        self.thread = None
        self.port = None

    def start(self, timeout=10):
        ready = threading.Event()
        error = []

        def run():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            self.router = Router(loop=self.loop, **self.kwargs)
            try:
                self.port = self.loop.run_until_complete(self.router.start())
            except Exception as e:  # pragma: no cover
                error.append(e)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self.router.stop())
            self.loop.close()

        self.thread = threading.Thread(target=run, name="wamp-router", daemon=True)
        self.thread.start()
        if not ready.wait(timeout) or error:
            raise RuntimeError("router did not start: %s" % (error or "timeout"))
        return self.port

    def stop(self, timeout=10):
        if self.thread is None:
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        self.thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class RouterSubprocess:
    """Runs router.py as a child process on a free port (for tests)."""

    def __init__(self, realm="test_realm", log_level="warning", extra_args=()):
        self.realm = realm
        self.log_level = log_level
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None

    def start(self, timeout=15):
        cmd = ["/usr/bin/python3", os.path.abspath(__file__), "--port", "0",
               "--realm", self.realm, "--log-level", self.log_level] + self.extra_args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("LISTENING "):
                self.port = int(line.split()[1])
                return self.port
        self.stop()
        raise RuntimeError("router subprocess did not report LISTENING")

    @property
    def ws_url(self):
        return "ws://127.0.0.1:%d/ws" % self.port

    @property
    def http_url(self):
        return "http://127.0.0.1:%d/call" % self.port

    def stop(self, timeout=10):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def setup_logging(level):
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s.%(msecs)03d wamp_router %(levelname)s %(message)s", "%H:%M:%S"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(getattr(logging, level.upper()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--realm", default="test_realm")
    parser.add_argument("--ws-path", default="/ws")
    parser.add_argument("--call-path", default="/call")
    parser.add_argument("--max-message-bytes", type=int, default=MAX_MESSAGE_BYTES,
                        help="largest WebSocket message / HTTP body accepted")
    parser.add_argument("--log-level", default="info",
                        choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)
    setup_logging(args.log_level)

    async def run():
        router = Router(host=args.host, port=args.port, realm=args.realm,
                        ws_path=args.ws_path, call_path=args.call_path,
                        max_message_bytes=args.max_message_bytes)
        port = await router.start()
        print("LISTENING %d" % port, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await router.stop()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
