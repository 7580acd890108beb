"""Shared pieces of the OCS adapter's end-to-end tests: a real influxd, the
WAMP test router, the adapter (embedded or with a separate publisher), fake
OCS agents, an OCSClient over the HTTP bridge, and autobahn clients that
subscribe or publish from a background thread.

Every process runs in its own process group with its output in the test's
temporary directory; `Stack.stop()` ends them all (SIGTERM, then SIGKILL),
and on a failure the tail of each log is printed. Everything listens on
127.0.0.1 only; every wait is bounded.

Binaries come from Bazel's runfiles (the sh_test's working directory is the
runfiles root), or from bazel-bin/ in a plain checkout.
"""

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "ocs_peers"))
sys.path.insert(0, os.path.join(ROOT, "tests", "wamp_router"))

from autobahn.wamp.types import PublishOptions, SubscribeOptions  # noqa: E402

from ocs_client import ERROR, OK, TIMEOUT, ControlClientError, OCSClient  # noqa: E402,F401
from wamp_session import join  # noqa: E402

PYTHON = "/usr/bin/python3"
ROUTER_PY = os.path.join(ROOT, "tests", "wamp_router", "router.py")
FAKE_AGENT_PY = os.path.join(ROOT, "tests", "ocs_peers", "fake_agent.py")
STANDIN_PY = os.path.join(ROOT, "tests", "support", "influx_v2v3_standin.py")
REALM = "test_realm"
DATABASE = "ocs_feeds"
ADAPTER_ADDRESS = "observatory.influxagent"


def binary(relative):
    for base in (ROOT, os.path.join(ROOT, "bazel-bin")):
        path = os.path.join(base, relative)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    # Missing binaries are a broken setup, not a reason to skip.
    raise AssertionError("%s not found under %s (bazel build //%s:%s)"
                         % (relative, ROOT, os.path.dirname(relative),
                            os.path.basename(relative)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    """Polls `predicate` until it returns a true value (returned) or
    `timeout` seconds pass (AssertionError)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s (last: %r)"
                                 % (timeout, what, last))
        time.sleep(interval)


# --------------------------------------------------------------- processes

class Process:
    """A child in its own process group, stdout and stderr in files."""

    def __init__(self, name, argv, directory, env=None):
        # One log per process, even when a test starts the same program again.
        base, n = name, 1
        while os.path.exists(os.path.join(directory, name + ".err")):
            n += 1
            name = "%s-%d" % (base, n)
        self.name = name
        self.argv = argv
        self.out_path = os.path.join(directory, name + ".out")
        self.err_path = os.path.join(directory, name + ".err")
        with open(self.out_path, "ab") as out, open(self.err_path, "ab") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         start_new_session=True, env=env)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stdout(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def wait_output(self, pattern, timeout, count=1, stream="stderr"):
        """Waits until `pattern` (regex) occurs `count` times in the output;
        fails early if the process exits."""
        rx = re.compile(pattern)
        read = self.stderr if stream == "stderr" else self.stdout

        def seen():
            text = read()
            if len(rx.findall(text)) >= count:
                return text
            if not self.alive():
                raise AssertionError("%s exited (%s) before printing %r; its stderr:\n%s"
                                     % (self.name, self.proc.returncode, pattern,
                                        self.stderr()[-3000:]))
            return None
        return wait_until(seen, timeout, 0.05, "%s to print %r" % (self.name, pattern))

    def signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        """SIGKILL, as a crash."""
        self.signal_group(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout=10):
        """SIGTERM to the group, SIGKILL after `timeout`; returns the exit code."""
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.proc.wait(10)
        else:
            # The leader is gone; make sure nothing of its group lingers.
            self.signal_group(signal.SIGKILL)
        return self.proc.returncode

    def wait(self, timeout):
        return self.proc.wait(timeout)


class Influxd:
    """influxd 1.6 on free loopback ports with its data in `directory`
    (as scripts/lib.sh starts it)."""

    def __init__(self, directory):
        self.dir = os.path.join(directory, "influxd")
        os.makedirs(self.dir)
        self.port = free_port()
        conf = os.path.join(self.dir, "influxd.conf")
        with open(conf, "w") as f:
            f.write("""reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = "%s/meta"
[data]
  dir = "%s/data"
  wal-dir = "%s/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:%d"
  log-enabled = false
[logging]
  level = "warn"
[monitor]
  store-enabled = false
""" % (free_port(), self.dir, self.dir, self.dir, self.port))
        influxd = shutil.which("influxd")
        if influxd is None:
            raise AssertionError("influxd is not installed (scripts/setup)")
        self.process = Process("influxd", [influxd, "-config", conf], directory)

        def ping():
            if not self.process.alive():
                raise AssertionError("influxd exited: %s" % self.process.stderr()[-2000:])
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/ping" % self.port, timeout=2):
                    return True
            except OSError:
                return False
        wait_until(ping, 30, 0.1, "influxd to answer /ping")

    def query(self, q, db=DATABASE, epoch="ns"):
        params = {"q": q, "epoch": epoch}
        if db:
            params["db"] = db
        url = "http://127.0.0.1:%d/query?%s" % (self.port, urllib.parse.urlencode(params))
        with urllib.request.urlopen(url, timeout=10) as r:
            answer = json.load(r)
        result = answer["results"][0]
        if "error" in result:
            raise AssertionError("InfluxDB query %r: %s" % (q, result["error"]))
        return result.get("series", [])

    def rows(self, q, db=DATABASE):
        """The rows of a one-series answer as dicts (column -> value)."""
        out = []
        for series in self.query(q, db):
            for values in series["values"]:
                out.append(dict(zip(series["columns"], values)))
        return out

    def measurements(self, db=DATABASE):
        try:
            return sorted(r["name"] for r in self.rows("SHOW MEASUREMENTS", db))
        except AssertionError as e:
            if "database not found" in str(e):
                return []
            raise

    def points(self, measurement, db=DATABASE):
        try:
            return self.rows('SELECT * FROM "%s"' % measurement, db)
        except AssertionError as e:
            if "database not found" in str(e):
                return []
            raise

    def stop(self):
        return self.process.stop()


def site_file(directory, router_port, instance_arguments, instance_id="influxagent",
              agent_class="InfluxDBAgent"):
    """A site config as OCS writes them (YAML flow style in a block)."""
    path = os.path.join(directory, "site-%s.yaml" % instance_id)
    args = ",\n                     ".join(json.dumps(a) for a in instance_arguments)
    with open(path, "w") as f:
        f.write("""hub:
  wamp_server: ws://127.0.0.1:%d/ws
  wamp_http: http://127.0.0.1:%d/call
  wamp_realm: %s
  address_root: observatory
hosts:
  localhost: {
    'agent-instances': [
      {'agent-class': '%s',
       'instance-id': '%s',
       'arguments': [%s]},
    ]
  }
""" % (router_port, router_port, REALM, agent_class, instance_id, args))
    return path


class Stack:
    """influxd + router (+ publisher) + adapter for one test; stop() ends all
    of them. Use in setUp/tearDown (or setUpClass/tearDownClass)."""

    def __init__(self, test_name):
        self.tmp = tempfile.mkdtemp(prefix="ocs_e2e_%s_" % test_name,
                                    dir=os.environ.get("TEST_TMPDIR"))
        self.processes = []   # everything started, for stop()
        self.influx = None
        self.router = None
        self.router_port = None
        self.adapter = None
        self.adapters = []    # every adapter started, the last is self.adapter
        self.publisher = None
        self.client = None
        self.agents = []

    def path(self, name):
        return os.path.join(self.tmp, name)

    # ----- pieces

    def start_influxd(self):
        self.influx = Influxd(self.tmp)
        self.processes.append(self.influx.process)
        return self.influx

    def start_router(self, port=0):
        p = Process("router", [PYTHON, ROUTER_PY, "--host", "127.0.0.1", "--port", str(port),
                           "--realm", REALM, "--log-level", "info"], self.tmp)
        self.processes.append(p)
        text = p.wait_output(r"LISTENING \d+", 20, stream="stdout")
        self.router_port = int(re.search(r"LISTENING (\d+)", text).group(1))
        self.router = p
        return p

    @property
    def ws_url(self):
        return "ws://127.0.0.1:%d/ws" % self.router_port

    @property
    def http_url(self):
        return "http://127.0.0.1:%d/call" % self.router_port

    def start_standin(self, flavor, token, org="ocs"):
        """The InfluxDB 2 / 3 stand-in (tests/support) in front of this
        influxd; returns its base URL."""
        port_file = self.path("standin-%s.port" % flavor)
        p = Process("standin-" + flavor,
                    [PYTHON, STANDIN_PY, "--influxd", "http://127.0.0.1:%d" % self.influx.port,
                     "--flavor", flavor, "--token", token, "--org", org,
                     "--port-file", port_file], self.tmp)
        self.processes.append(p)

        def port():
            if not p.alive():
                raise AssertionError("the stand-in exited: %s" % p.stderr()[-2000:])
            if not os.path.exists(port_file):
                return None
            with open(port_file) as f:
                return int(f.read())
        self.standin_url = "http://127.0.0.1:%d" % wait_until(port, 20, 0.05, "the stand-in")
        return self.standin_url

    def standin_log(self):
        """The stand-in's requests: [(status, lines, path)]."""
        with urllib.request.urlopen(self.standin_url + "/_standin/log", timeout=10) as r:
            text = r.read().decode()
        return [(int(w[1]), int(w[2]), w[3]) for w in
                (line.split(" ", 3) for line in text.splitlines() if line)]

    def start_publisher(self):
        """bazel-bin/service/publisher, idle, on a free gRPC port."""
        argv = [binary("service/publisher"), "--host", "127.0.0.1",
                "--port", str(self.influx.port), "--database", DATABASE,
                "--listen", "127.0.0.1:0", "--spool-dir", self.path("publisher-spool"),
                "--initial-state", "idle", "--flush-interval", "200ms"]
        p = Process("publisher", argv, self.tmp)
        self.processes.append(p)
        text = p.wait_output(r"gRPC on \S+ \(port \d+\)", 30)
        self.publisher = p
        self.publisher_port = int(re.search(r"gRPC on \S+ \(port (\d+)\)", text).group(1))
        return p

    def start_adapter(self, initial_state="record", embedded=True, extra=(),
                      instance_id="influxagent", agent_class="InfluxDBAgent",
                      site_arguments=None, env=None, wait_registered=True):
        """The adapter for site instance `instance_id`; `site_arguments`
        replaces the instance's arguments (default: the v1 agent's, for this
        influxd); `env` is its whole environment (default: ours)."""
        if site_arguments is None:
            site_arguments = [["--initial-state", initial_state], ["--host", "127.0.0.1"],
                              ["--port", self.influx.port], ["--gzip", True],
                              ["--database", DATABASE]]
        site = site_file(self.tmp, self.router_port, site_arguments, instance_id, agent_class)
        argv = [binary("ocs_adapter/ocs_adapter"), "--site-file", site,
                "--site-host", "localhost", "--instance-id", instance_id]
        if embedded:
            spool = "adapter-spool" if instance_id == "influxagent" else instance_id + "-spool"
            argv += ["--embedded-publisher", "--spool-dir", self.path(spool),
                     "--listen", "127.0.0.1:0", "--flush-interval", "200ms"]
        else:
            argv += ["--publisher", "127.0.0.1:%d" % self.publisher_port]
        argv += list(extra)
        name = "adapter" if instance_id == "influxagent" else "adapter-" + instance_id
        p = Process(name, argv, self.tmp, env=env)
        self.processes.append(p)
        self.adapters.append(p)
        self.adapter = p
        if not wait_registered:
            return p
        address = "observatory." + instance_id
        p.wait_output(r"adapter: %s registered" % re.escape(address), 30)
        self.client = OCSClient(self.http_url, address, http_timeout=30)
        return p

    def start_agent(self, address, *args, name=None, wait_ready=True):
        """fake_agent.py; returns (Process, count file path)."""
        name = name or "agent-%s" % address.split(".")[-1]
        count_file = self.path("%s-%d.counts.json" % (name, len(self.processes)))
        argv = [PYTHON, FAKE_AGENT_PY, "--url", self.ws_url, "--realm", REALM,
                "--address", address, "--count-file", count_file] + list(args)
        p = Process(name, argv, self.tmp)
        self.processes.append(p)
        self.agents.append(p)
        if wait_ready:
            p.wait_output(r"READY", 20, stream="stdout")
        return p, count_file

    def session_status(self):
        """The adapter's record session (status reply [2])."""
        reply = self.client.status("record")
        return reply[2]

    def stop(self, failed=False):
        # Agents first (they flush their count files), then the adapter (it
        # leaves the realm), then the rest.
        order = list(reversed(self.processes))
        order.sort(key=lambda p: 0 if p in self.agents else 1 if p in self.adapters else 2)
        codes = {}
        for p in order:
            try:
                codes[p.name] = p.stop()
            except Exception as e:  # keep stopping the others
                codes[p.name] = e
        if failed:
            for p in self.processes:
                for stream, path in (("stderr", p.err_path), ("stdout", p.out_path)):
                    try:
                        with open(path, errors="replace") as f:
                            tail = f.read()[-4000:]
                    except OSError:
                        continue
                    if tail.strip():
                        sys.stderr.write("----- %s %s (tail)\n%s\n" % (p.name, stream, tail))
        shutil.rmtree(self.tmp, ignore_errors=True)
        return codes


def read_counts(path, timeout=15):
    wait_until(lambda: os.path.exists(path), timeout, 0.05, "count file %s" % path)
    with open(path) as f:
        return json.load(f)


# --------------------------------------------------------------- WAMP clients

class WampThread:
    """An autobahn session on its own asyncio loop in a daemon thread, for
    subscribing and publishing while the test's main thread waits on
    processes. `events` collects (monotonic time, topic, args, kwargs)."""

    def __init__(self, url, serializer="msgpack"):
        self.url = url
        self.serializer = serializer
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.session = self.run(join(url, REALM, serializer))
        self.lock = threading.Lock()
        self.events = []

    def run(self, coro, timeout=15):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def subscribe(self, topic, match="exact"):
        def on_event(*args, details=None, **kwargs):
            with self.lock:
                self.events.append((time.monotonic(), details.topic or topic, args, kwargs))

        async def sub():
            return await self.session.subscribe(
                on_event, topic, options=SubscribeOptions(match=match, details=True))
        return self.run(sub())

    def publish(self, topic, *args, **kwargs):
        """Acknowledged publish: returns once the router has taken it."""
        async def pub():
            return await self.session.publish(
                topic, *args, options=PublishOptions(acknowledge=True), **kwargs)
        return self.run(pub())

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def close(self):
        try:
            if self.session is not None:
                self.run(self.session.close(), timeout=10)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def blocks_of(events, topic=None):
    """The recorded blocks of captured feed events: [(feed, block)]."""
    out = []
    for _, t, args, _ in events:
        if topic is not None and t != topic:
            continue
        message, feed = args[0]
        if not feed.get("record"):
            continue
        for block in message.values():
            out.append((feed, block))
    return out


class E2ETestCase(unittest.TestCase):
    """Prints the processes' logs when a test fails."""

    def run(self, result=None):
        self._result_for_logs = result
        return super().run(result)

    def failed(self):
        result = getattr(self, "_result_for_logs", None)
        if result is None:
            return True
        return any(t is self for t, _ in result.failures + result.errors)


class StackPerClassTestCase(E2ETestCase):
    """One influxd and one router per class, stopped with the class (their
    logs shown if any test failed: tests set `any_failed`)."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(cls.__name__)
        cls.any_failed = False
        try:
            cls.stack.start_influxd()
            cls.stack.start_router()
        except BaseException:
            cls.stack.stop(failed=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop(failed=cls.any_failed)


class AdapterPerTestCase(StackPerClassTestCase):
    """A fresh adapter per test (its session ids count from 0 again).
    Subclasses set `initial_state`."""

    initial_state = "record"

    def setUp(self):
        self.stack.agents = []
        self.stack.start_adapter(initial_state=self.initial_state)
        self.client = self.stack.client
        self.wamp_clients = []

    def wamp_client(self, serializer="msgpack"):
        c = WampThread(self.stack.ws_url, serializer)
        self.wamp_clients.append(c)
        return c

    def tearDown(self):
        failed = self.failed()
        type(self).any_failed |= failed
        for c in self.wamp_clients:
            c.close()
        s = self.stack
        for p in s.agents:
            p.stop()
            if failed:
                sys.stderr.write("----- %s stderr (tail)\n%s\n" % (p.name, p.stderr()[-3000:]))
            s.processes.remove(p)
        s.agents = []
        code = s.adapter.stop()
        s.processes.remove(s.adapter)
        if failed:
            sys.stderr.write("----- adapter stderr (tail)\n%s\n" % s.adapter.stderr()[-6000:])
        self.assertEqual(code, 0, "adapter exit code after SIGTERM")

    def session_data(self):
        return self.stack.session_status()["data"]


def main():
    unittest.main(verbosity=2)
