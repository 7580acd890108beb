#!/usr/bin/python3
"""A fake OCS agent (like ocs's FakeDataAgent) on python3-autobahn/asyncio.

It joins the realm, registers `<address>.ops` and `<address>` (management),
publishes its `heartbeat` feed once a second and, while its `acq` process
runs, a recorded feed `<address>.feeds.<feed_name>` the way ocs_feed.Feed
does: samples are buffered into blocks and flushed every --buffer-time
seconds as ONE positional argument `[message, feed]`, where message is
`{"temps": {"block_name": "temps", "timestamps": [...], "data": {...}}}`.

  fake_agent.py --url ws://127.0.0.1:PORT/ws --realm test_realm \
      --address observatory.fake-data1 [--rate HZ] [--channels N] \
      [--duration S] [--serializer msgpack|json] [--feed-name NAME] \
      [--exclude-influx] [--extra-columns] [--count-file F] [--idle] \
      [--publication-points N]

With --publication-points N the samples go out in publications of exactly N
(the last one of a --duration may be shorter) instead of every
--buffer-time seconds, and their values are computed a column at a time:
enough for one agent to offer thousands of 16-channel samples per second
(scripts/bench-ocs).

Operations: process `acq` (params: none; started at start-up unless --idle;
stops by itself after --duration seconds if given) and task `delay_task`
(params: delay float = 0.5, succeed bool = True). With --duration the agent
leaves once acq has ended; otherwise it runs until SIGINT/SIGTERM.

At exit --count-file receives JSON: points published, per-field count/sum
(bools count as 0/1), min/max timestamp, and messages published.

Prints `READY` on stdout (flushed) once registered.
"""

import argparse
import asyncio
import json
import math
import os
import random
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wamp_session import join  # noqa: E402

OK, ERROR, TIMEOUT = 0, -1, 1
OP_CODES = {"none": 1, "starting": 2, "running": 3, "stopping": 4,
            "succeeded": 5, "failed": 6, "expired": 7, "degraded": 8}


class OpSession:
    """An OCS operation session, encoded as ocs.ocs_agent.OpSession does."""

    def __init__(self, session_id, op_name):
        self.session_id = session_id
        self.op_name = op_name
        self.status = "starting"
        self.degraded = False
        self.success = None
        self.start_time = time.time()
        self.end_time = None
        self.data = {}
        self.messages = []
        self.done_event = asyncio.Event()
        self.stop_requested = False
        self.add_message('Status is now "starting".')

    def add_message(self, text):
        self.messages.append([time.time(), text])
        del self.messages[:-50]

    def set_status(self, status):
        order = ["starting", "running", "stopping", "done"]
        if order.index(status) <= order.index(self.status):
            return
        self.status = status
        self.add_message('Status is now "%s".' % status)
        if status == "done":
            self.end_time = time.time()
            self.done_event.set()

    @property
    def op_code(self):
        if self.status == "done":
            return OP_CODES["succeeded" if self.success else "failed"]
        if self.status == "running" and self.degraded:
            return OP_CODES["degraded"]
        return OP_CODES[self.status]

    def encoded(self):
        return {"session_id": self.session_id, "op_name": self.op_name,
                "op_code": self.op_code, "cred_level": 1, "status": self.status,
                "degraded": self.degraded, "success": self.success,
                "start_time": self.start_time, "end_time": self.end_time,
                "data": self.data, "messages": [list(m) for m in self.messages]}


class Feed:
    """ocs_feed.Feed for a recorded feed: blocks, buffer, flush."""

    def __init__(self, agent, feed_name, record, agg_params, buffer_time):
        self.agent = agent
        self.feed_name = feed_name
        self.record = record
        self.agg_params = agg_params
        self.buffer_time = buffer_time
        self.buffer_start_time = None
        self.blocks = {}
        self.address = "%s.feeds.%s" % (agent.address, feed_name)

    def encoded(self):
        return {"agent_address": self.agent.address, "agg_params": self.agg_params,
                "feed_name": self.feed_name, "address": self.address,
                "record": self.record, "session_id": self.agent.session_id,
                "agent_class": self.agent.agent_class}

    def publish_message(self, message, now=None):
        now = time.time() if now is None else now
        if not self.record:
            self.agent.publish(self.address, message, self)
            return
        block = self.blocks.get(message["block_name"])
        if block is None or set(block["data"]) != set(message["data"]):
            if block is not None and block["timestamps"]:
                self.flush_buffer()
            block = {"block_name": message["block_name"], "timestamps": [],
                     "data": {k: [] for k in message["data"]}}
            self.blocks[message["block_name"]] = block
        block["timestamps"].append(message["timestamp"])
        for k, v in message["data"].items():
            block["data"][k].append(v)
        if self.buffer_start_time is None:
            self.buffer_start_time = now
        if now - self.buffer_start_time >= self.buffer_time:
            self.flush_buffer()

    def flush_buffer(self):
        self.buffer_start_time = None
        message = {}
        for name, block in self.blocks.items():
            if block["timestamps"]:
                message[name] = {"block_name": name, "timestamps": block["timestamps"],
                                 "data": block["data"]}
                self.blocks[name] = {"block_name": name, "timestamps": [],
                                     "data": {k: [] for k in block["data"]}}
        if message:
            self.agent.publish(self.address, message, self)


class FakeAgent:
    agent_class = "FakeDataAgent"

    def __init__(self, args):
        self.args = args
        self.address = args.address
        self.session_id = str(time.time())
        self.wamp = None
        self.next_session_id = 0
        self.ops = {  # name -> (op_type, params spec, docstring)
            "acq": ("process", {}, "acq()\n\nProcess: produce fake temperatures."),
            "delay_task": ("task", {"delay": (float, 0.5), "succeed": (bool, True)},
                           "delay_task(delay=0.5, succeed=True)\n\nTask: sleep, then end."),
        }
        self.sessions = {}       # op name -> OpSession (latest)
        self.tasks = set()
        agg = {"frame_length": 60}
        if args.exclude_influx:
            agg["exclude_influx"] = True
        self.data_feed = Feed(self, args.feed_name, True, agg, args.buffer_time)
        self.heartbeat_feed = Feed(self, "heartbeat", False, {}, 0)
        self.feeds = {args.feed_name: self.data_feed, "heartbeat": self.heartbeat_feed}
        self.counts = {"points": 0, "messages": 0, "fields": {},
                       "min_timestamp": None, "max_timestamp": None}
        self.rng = random.Random(args.seed)
        self.finished = asyncio.Event()

    # ----- publishing

    def publish(self, topic, message, feed):
        if feed.record:
            for block in message.values():
                self._count(block)
        self.wamp.publish(topic, [message, feed.encoded()])

    def _count(self, block):
        c = self.counts
        c["messages"] += 1
        ts = block["timestamps"]
        c["points"] += len(ts)
        if ts:
            lo, hi = min(ts), max(ts)
            c["min_timestamp"] = lo if c["min_timestamp"] is None else min(lo, c["min_timestamp"])
            c["max_timestamp"] = hi if c["max_timestamp"] is None else max(hi, c["max_timestamp"])
        for field, values in block["data"].items():
            f = c["fields"].setdefault(field, {"count": 0, "sum": 0, "type": None})
            f["count"] += len(values)
            f["sum"] += sum(values)
            if values:
                f["type"] = type(values[0]).__name__

    # ----- operations

    def _start(self, op_name, params):
        op_type, spec, _ = self.ops[op_name]
        current = self.sessions.get(op_name)
        if current is not None and current.status != "done":
            return [ERROR, 'Operation "%s" already in progress.' % op_name, current.encoded()]
        params = dict(params or {})
        unexpected = [k for k in params if k not in spec]
        if unexpected:
            return [ERROR, "params included unexpected values: %s" % unexpected, {}]
        for k, (typ, default) in spec.items():
            v = params.setdefault(k, default)
            if typ is float and type(v) is int:
                v = params[k] = float(v)
            if type(v) is not typ:
                return [ERROR, "Param '%s'=%r is not of required type (%s)"
                        % (k, v, typ.__name__), {}]
        session = OpSession(self.next_session_id, op_name)
        self.next_session_id += 1
        self.sessions[op_name] = session
        coro = self._acq(session) if op_name == "acq" else self._delay_task(session, **params)
        task = asyncio.ensure_future(self._run_op(session, coro))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return [OK, 'Started %s "%s".' % (op_type, op_name), session.encoded()]

    async def _run_op(self, session, coro):
        try:
            session.set_status("running")
            ok, text = await coro
        except asyncio.CancelledError:
            ok, text = False, "cancelled"
        except Exception as e:  # pragma: no cover
            ok, text = False, "crashed: %s" % e
        session.success = bool(ok)
        session.add_message(text)
        session.set_status("done")

    async def _acq(self, session):
        if self.args.publication_points > 0:
            return await self._acq_publications(session)
        a = self.args
        start = time.time()
        produced = 0
        tick = min(0.1, 1.0 / a.rate) if a.rate > 0 else 0.1
        session.data = {"published_points": 0, "last_updated": start}
        while not session.stop_requested:
            now = time.time()
            if a.duration and now - start >= a.duration:
                break
            due = int((now - start) * a.rate)
            while produced < due:
                t = start + produced / a.rate
                data = {"channel_%02d" % k: 20.0 + k + math.sin(produced / 50.0 + k)
                        + self.rng.gauss(0, 0.01) for k in range(a.channels)}
                if a.extra_columns:
                    data["counter"] = produced
                    data["valid"] = produced % 3 != 0
                self.data_feed.publish_message(
                    {"block_name": "temps", "timestamp": t, "data": data}, now)
                produced += 1
            session.data = {"published_points": produced, "last_updated": now}
            await asyncio.sleep(tick)
        self.data_feed.flush_buffer()
        session.data = {"published_points": produced, "last_updated": time.time()}
        return True, "Acquisition exited cleanly."

    def _block(self, first, count):
        """Samples first..first+count-1 as one block, built a column at a time."""
        a = self.args
        rand = self.rng.random
        indices = range(first, first + count)
        data = {"channel_%02d" % k: [20.0 + k + math.sin(i / 50.0 + k) + (rand() - 0.5) * 0.02
                                     for i in indices]
                for k in range(a.channels)}
        if a.extra_columns:
            data["counter"] = list(indices)
            data["valid"] = [i % 3 != 0 for i in indices]
        return {"block_name": "temps", "data": data,
                "timestamps": [self._acq_start + i / a.rate for i in indices]}

    async def _acq_publications(self, session):
        a = self.args
        n = a.publication_points
        start = self._acq_start = time.time()
        total = int(a.duration * a.rate) if a.duration else None
        produced = 0
        tick = min(0.1, n / a.rate) if a.rate > 0 else 0.1
        session.data = {"published_points": 0, "last_updated": start}
        while not session.stop_requested and (total is None or produced < total):
            now = time.time()
            due = int((now - start) * a.rate)
            if total is not None:
                due = min(due, total)
            while due - produced >= n or (total is not None and due == total > produced):
                count = min(n, due - produced)
                self.publish(self.data_feed.address, {"temps": self._block(produced, count)},
                             self.data_feed)
                produced += count
            session.data = {"published_points": produced, "last_updated": now}
            if total is None or produced < total:
                await asyncio.sleep(tick)
        session.data = {"published_points": produced, "last_updated": time.time()}
        return True, "Acquisition exited cleanly."

    async def _delay_task(self, session, delay, succeed):
        end = time.time() + delay
        while time.time() < end and not session.stop_requested:
            await asyncio.sleep(min(0.05, max(0.0, end - time.time())))
        if session.stop_requested:
            return False, "Aborted."
        return succeed, "Delay finished." if succeed else "Delay failed on request."

    async def ops_handler(self, action, op_name, params=None, timeout=None, password=None):
        if op_name not in self.ops:
            return [ERROR, 'No task or process called "%s"' % op_name, {}]
        op_type = self.ops[op_name][0]
        session = self.sessions.get(op_name)
        if action == "start":
            return self._start(op_name, params)
        if action == "status":
            if session is None:
                return [OK, "No session active.", {}]
            return [OK, "Session active.", session.encoded()]
        if action == "wait":
            if session is None:
                return [OK, "Idle.", {}]
            if session.status != "done" and (timeout is None or timeout >= 0):
                try:
                    await asyncio.wait_for(session.done_event.wait(), timeout)
                except asyncio.TimeoutError:
                    pass
            if session.status == "done":
                return [OK, 'Operation "%s" is currently not running (%s).'
                        % (op_name, "SUCCEEDED" if session.success else "FAILED"),
                        session.encoded()]
            return [TIMEOUT, 'Operation "%s" still in progress.' % op_name, session.encoded()]
        if action in ("stop", "abort"):
            wanted = "process" if action == "stop" else "task"
            if op_type != wanted:
                return [ERROR, "No %s called \"%s\"" % (wanted, op_name), {}]
            if session is None:
                return [ERROR, "No session active.", {}]
            if session.status in ("stopping", "done"):
                return [ERROR, "The operation is already %s" % session.status, session.encoded()]
            session.stop_requested = True
            session.set_status("stopping")
            return [OK, 'Requested %s on %s "%s".' % (action, op_type, op_name), session.encoded()]
        return [ERROR, "No action called \"%s\"" % action, {}]

    def _op_list(self, op_type):
        out = []
        for name, (typ, _, doc) in self.ops.items():
            if typ != op_type:
                continue
            s = self.sessions.get(name)
            out.append([name, s.encoded() if s else {"op_name": name, "status": "no_history"},
                        {"blocking": True, "docstring": doc, "op_type": typ, "min_privs": 1}])
        return out

    def management_handler(self, q, **kwargs):
        if q == "get_api":
            return {"agent_class": self.agent_class, "instance_hostname": socket.gethostname(),
                    "instance_pid": os.getpid(),
                    "feeds": [[n, f.encoded()] for n, f in self.feeds.items()],
                    "processes": self._op_list("process"), "tasks": self._op_list("task"),
                    "access_control": {"version": 1, "policy": "none",
                                       "update_timestamp": 0, "update_count": 0, "step": 0}}
        if q == "get_tasks":
            return self._op_list("task")
        if q == "get_processes":
            return self._op_list("process")
        if q == "get_feeds":
            return [[n, f.encoded()] for n, f in self.feeds.items()]
        if q == "get_agent_class":
            return self.agent_class
        return None

    # ----- main

    async def heartbeat(self):
        while True:
            message = {name: (self.sessions[name].op_code if name in self.sessions
                              else OP_CODES["none"]) for name in self.ops}
            self.heartbeat_feed.publish_message(message)
            await asyncio.sleep(1.0)

    async def run(self):
        a = self.args
        self.wamp = await join(a.url, a.realm, a.serializer)
        await self.wamp.register(self.ops_handler, self.address + ".ops")
        await self.wamp.register(self.management_handler, self.address)
        hb = asyncio.ensure_future(self.heartbeat())
        if not a.idle:
            self._start("acq", {})
        print("READY", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        waiters = [asyncio.ensure_future(stop.wait()),
                   asyncio.ensure_future(asyncio.shield(self.wamp.left))]
        if a.duration and not a.idle:
            waiters.append(asyncio.ensure_future(self.sessions["acq"].done_event.wait()))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()
        acq = self.sessions.get("acq")
        if acq is not None and acq.status != "done":
            acq.stop_requested = True
            await asyncio.wait_for(acq.done_event.wait(), 5)
        hb.cancel()
        for t in list(self.tasks):
            t.cancel()
        if self.wamp.is_attached():
            # A call round trip: every publication before it has been routed.
            await self.wamp.call(self.address, "get_agent_class")
            await self.wamp.close()
        if a.count_file:
            tmp = a.count_file + ".tmp"
            with open(tmp, "w") as f:
                json.dump(dict(self.counts, agent_address=self.address,
                               feed_name=a.feed_name), f, indent=1, sort_keys=True)
            os.replace(tmp, a.count_file)
        return 0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="A fake OCS agent publishing a recorded feed.")
    p.add_argument("--url", required=True, help="ws://127.0.0.1:PORT/ws")
    p.add_argument("--realm", default="test_realm")
    p.add_argument("--address", default="observatory.fake-data1")
    p.add_argument("--rate", type=float, default=10.0, help="samples per second")
    p.add_argument("--channels", type=int, default=4)
    p.add_argument("--duration", type=float, default=0.0, help="acq seconds; 0 = until stopped")
    p.add_argument("--serializer", choices=["msgpack", "json"], default="msgpack")
    p.add_argument("--feed-name", default="false_temperatures")
    p.add_argument("--buffer-time", type=float, default=1.0)
    p.add_argument("--exclude-influx", action="store_true")
    p.add_argument("--extra-columns", action="store_true",
                   help="add an int column 'counter' and a bool column 'valid'")
    p.add_argument("--count-file")
    p.add_argument("--idle", action="store_true", help="do not start acq at start-up")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--publication-points", type=int, default=0,
                   help="publish blocks of exactly N samples (0: every --buffer-time)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return asyncio.run(FakeAgent(args).run())


if __name__ == "__main__":
    sys.exit(main())
