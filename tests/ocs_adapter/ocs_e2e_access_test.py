#!/usr/bin/python3
"""End to end: OCS access control (issue 13) on the adapter's `record`
process, under the test router, with OCS clients passing their password as
OCSClient does and a director-like peer (tests/ocs_peers/access_director.py)
distributing rules as OCS's Access Director does. The cases of OCS's own
tests/integration/test_access_integration.py, applied to record start/stop:

- LockoutTest: policy director:access-dir, no director running: every
  start/stop/abort is refused at level 0 (the exact OCS text, ERROR, no
  session), status/wait/get_api still answer; --initial-state record still
  starts (the agent itself is the super-user) and its session says
  cred_level 4.
- DirectorTest (hub access_policy: director:access-dir): once the director's
  rules arrive, level 1 is free (a wrong password too), "pw2" gives level 2;
  with a config whose level 1 needs a password, no password or a wrong one
  is refused and the right ones give their levels; an exclusive grant locks
  out normal clients ("Privileges diminished; lockouts active: [...]"),
  the grant's password and the super-user pass, and release restores them.
- OverrideTest: --access-policy override:PW2,PW3 on the command line wins
  over the instance's director: argument and the hub's.
- HostileRulesTest: malformed, huge and unknown-version messages on the
  controls feed change nothing (levels, update_count) and are logged,
  rate-limited.
Every test: no password the clients used appears in the adapter's log (at
debug level).

Run: /usr/bin/python3 tests/ocs_adapter/ocs_e2e_access_test.py
"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ocs_e2e  # noqa: E402
from ocs_e2e import (ADAPTER_ADDRESS, DATABASE, ERROR, OK, PYTHON, REALM, OCSClient,  # noqa: E402
                     Process, binary, wait_until)

DIRECTOR_PY = os.path.join(ocs_e2e.ROOT, "tests", "ocs_peers", "access_director.py")
DIRECTOR_ADDRESS = "observatory.access-dir"
CONTROLS = DIRECTOR_ADDRESS + ".feeds.controls"

PW2 = "pw2-Secret-42"
SUPER = "superuser-Secret-42"
WRONG = "wrong-Secret-42"
PW1 = "pw1-Secret-42"

# OCS's tests/ocs-access.yaml, the grant aimed at the InfluxDBAgent.
CONFIG_FREE = {
    "passwords": [{"default": True, "password_1": "", "password_2": PW2,
                   "password_4": SUPER}],
    "distrib_hashfunc": "md5",
    "exclusive_access_blocks": [{
        "name": "test-grant",
        "grants": [{"agent_class": "InfluxDBAgent", "instance_id": "influx*,!influx-orama",
                    "cred_level": 2, "lockout_levels": [1, 2, 3]}]}],
}
# Level 1 by password, for the InfluxDBAgent class only.
CONFIG_PROTECTED = {
    "passwords": [{"default": True, "password_2": PW2, "password_4": SUPER},
                  {"agent_class": "InfluxDBAgent", "password_1": PW1}],
}


def rejection(required, level, detail=""):
    names = {0: "0-BLOCKED", 1: "1-BASIC", 2: "2-ADVANCED", 3: "3-FULL", 4: "4-SUPERUSER"}
    text = ("The action requires credential level %s but the client has only level %s"
            % (names[required], names[level]))
    return text + (" " + detail if detail else "")


def write_site(directory, router_port, instance_arguments, hub_policy=None):
    path = os.path.join(directory, "site-access.yaml")
    args = ",\n                     ".join(json.dumps(a) for a in instance_arguments)
    hub_line = "  access_policy: %s\n" % json.dumps(hub_policy) if hub_policy else ""
    with open(path, "w") as f:
        f.write("""hub:
  wamp_server: ws://127.0.0.1:%d/ws
  wamp_http: http://127.0.0.1:%d/call
  wamp_realm: %s
  address_root: observatory
%shosts:
  localhost: {
    'agent-instances': [
      {'agent-class': 'InfluxDBAgent',
       'instance-id': 'influxagent',
       'arguments': [%s]},
    ]
  }
""" % (router_port, router_port, REALM, hub_line, args))
    return path


class AccessTestBase(ocs_e2e.StackPerClassTestCase):
    def setUp(self):
        self.adapter = None
        self.director = None
        self.passwords_used = set()
        self.wamp_clients = []

    def tearDown(self):
        failed = self.failed()
        type(self).any_failed |= failed
        for c in self.wamp_clients:
            c.close()
        s = self.stack
        for p in (self.director, self.adapter):
            if p is None:
                continue
            code = p.stop()
            s.processes.remove(p)
            if failed:
                sys.stderr.write("----- %s stderr (tail)\n%s\n----- stdout\n%s\n"
                                 % (p.name, p.stderr()[-6000:], p.stdout()[-2000:]))
            if p is self.adapter:
                self.assertEqual(code, 0, "adapter exit code after SIGTERM")
        if self.adapter is not None:
            # Never a password in the log, at debug level.
            log = self.adapter.stderr() + self.adapter.stdout()
            for pw in self.passwords_used:
                self.assertNotIn(pw, log, "a password in the adapter's log")

    # ----- pieces

    def start_adapter(self, instance_policy=None, hub_policy=None, initial_state="idle",
                      extra=()):
        s = self.stack
        args = [["--initial-state", initial_state], ["--host", "127.0.0.1"],
                ["--port", s.influx.port], ["--database", DATABASE]]
        if instance_policy is not None:
            args.append(["--access-policy", instance_policy])
        site = write_site(s.tmp, s.router_port, args, hub_policy)
        argv = [binary("ocs_adapter/ocs_adapter"), "--site-file", site,
                "--site-host", "localhost", "--instance-id", "influxagent",
                "--embedded-publisher", "--spool-dir", s.path("spool-%s" % self.id()),
                "--listen", "127.0.0.1:0", "--flush-interval", "200ms",
                "--log-level", "debug"] + list(extra)
        self.adapter = Process("adapter", argv, s.tmp)
        s.processes.append(self.adapter)
        self.adapter.wait_output(r"adapter: observatory\.influxagent registered", 30)

    def start_director(self, config):
        s = self.stack
        path = s.path("access-%s.json" % self.id())
        with open(path, "w") as f:
            json.dump(config, f)
        self.director = Process("director", [PYTHON, DIRECTOR_PY, "--url", s.ws_url,
                                             "--realm", REALM, "--address", DIRECTOR_ADDRESS,
                                             "--config", path], s.tmp)
        s.processes.append(self.director)
        self.director.wait_output(r"READY", 20, stream="stdout")

    def client(self, password=None):
        if password:
            self.passwords_used.add(password)
        return OCSClient(self.stack.http_url, ADAPTER_ADDRESS, password=password,
                         http_timeout=30)

    def access_control(self):
        return self.client().get_api()["access_control"]

    def wait_update(self, more_than):
        wait_until(lambda: self.access_control()["update_count"] > more_than, 15,
                   what="access rules from the director (update_count > %d)" % more_than)
        return self.access_control()["update_count"]

    def assert_refused(self, reply, required, level, detail=""):
        self.assertEqual(reply, [ERROR, rejection(required, level, detail), {}])

    def start_ok(self, password, cred_level):
        reply = self.client(password).start("record")
        self.assertEqual(reply[0], OK, reply)
        self.assertEqual(reply[1], 'Started process "record".')
        self.assertEqual(reply[2]["cred_level"], cred_level)
        self.assertEqual(self.client().status("record")[2]["cred_level"], cred_level)

    def stop_ok(self, password):
        reply = self.client(password).stop("record")
        self.assertEqual(reply[0], OK, reply)
        done = self.client().wait("record", timeout=10)
        self.assertEqual(done[0], OK, done)


class LockoutTest(AccessTestBase):
    """test_access_lockout: director policy, the director never came."""

    def test_blocked_until_the_director_speaks(self):
        self.start_adapter(instance_policy="director:access-dir")
        self.assertIn("access policy director (Access Director access-dir)",
                      self.adapter.stderr())
        ac = self.access_control()
        self.assertEqual((ac["version"], ac["policy"], ac["update_count"], ac["step"]),
                         (1, "director", 0, 0))
        for pw in (None, PW2, SUPER, WRONG):
            c = self.client(pw)
            self.assert_refused(c.start("record"), 1, 0)
            self.assert_refused(c.stop("record"), 1, 0)
            self.assert_refused(c.abort("record"), 1, 0)
            # Unchecked, as in OCS.
            self.assertEqual(c.status("record"), [OK, "No session active.", {}])
        # Old clients' explicit None, and a password that is not a string.
        old = OCSClient(self.stack.http_url, ADAPTER_ADDRESS, password_mode="null")
        self.assert_refused(old.start("record"), 1, 0)
        status, body = old.call_raw(ADAPTER_ADDRESS + ".ops", ["start", "record", {}],
                                    {"password": [1, 2]})
        self.assertEqual(body["args"][0], [ERROR, rejection(1, 0), {}])
        self.assertIn("agent_poll", self.adapter.stderr())  # the failed poll, logged

    def test_initial_state_record_is_the_agent_itself(self):
        self.start_adapter(instance_policy="director:access-dir", initial_state="record")
        wait_until(lambda: self.client().status("record")[2].get("status") == "running", 15,
                   what="record running")
        session = self.client().status("record")[2]
        self.assertEqual(session["cred_level"], 4)
        self.assert_refused(self.client(PW2).stop("record"), 1, 0)
        self.assertEqual(self.client().status("record")[2]["status"], "running")


class DirectorTest(AccessTestBase):
    """test_access_director and test_exclusive_access, on record."""

    def test_level_one_free_and_password_levels(self):
        self.start_director(CONFIG_FREE)
        self.start_adapter(hub_policy="director:access-dir")
        self.wait_update(0)
        ac = self.access_control()
        self.assertEqual((ac["policy"], ac["step"]), ("director", 1))
        self.assertLess(abs(ac["update_timestamp"] - time.time()), 60)
        # A wrong password still gets the free level 1.
        self.start_ok(WRONG, 1)
        self.stop_ok(None)
        self.start_ok(None, 1)
        self.stop_ok(PW2)
        self.start_ok(PW2, 2)
        self.stop_ok(WRONG)
        self.start_ok(SUPER, 4)
        self.stop_ok(None)

    def test_protected_level_one(self):
        self.start_director(CONFIG_PROTECTED)
        self.start_adapter(instance_policy="director:access-dir")
        self.wait_update(0)
        self.assert_refused(self.client().start("record"), 1, 0)
        self.assert_refused(self.client(WRONG).start("record"), 1, 0)
        self.start_ok(PW1, 1)
        self.assert_refused(self.client(WRONG).stop("record"), 1, 0)
        self.assert_refused(self.client().stop("record"), 1, 0)
        self.stop_ok(PW2)
        self.start_ok(PW2, 2)
        self.stop_ok(SUPER)

    def test_exclusive_access(self):
        self.start_director(CONFIG_FREE)
        self.start_adapter(instance_policy="director:access-dir")
        count = self.wait_update(0)
        ad = OCSClient(self.stack.http_url, DIRECTOR_ADDRESS)
        grant = ad.call(DIRECTOR_ADDRESS + ".request_exclusive", grant_name="test-grant",
                        password=None, action="acquire", expire_at=time.time() + 100,
                        grantee="test-grantee")
        self.assertEqual(grant["message"], "grant acquired", grant)
        grant_pw = grant["password"]
        self.passwords_used.add(grant_pw)
        count = self.wait_update(count)
        locked = "Privileges diminished; lockouts active: ['test-grant[test-grantee]']"
        for pw in (None, PW2, WRONG):
            self.assert_refused(self.client(pw).start("record"), 1, 0, locked)
        self.start_ok(grant_pw, 2)
        self.assert_refused(self.client(PW2).stop("record"), 1, 0, locked)
        self.stop_ok(SUPER)
        self.start_ok(SUPER, 4)
        self.stop_ok(grant_pw)
        released = ad.call(DIRECTOR_ADDRESS + ".request_exclusive", grant_name="test-grant",
                           password=None, action="release", grantee="test-grantee")
        self.assertEqual(released["message"], "grant released", released)
        self.wait_update(count)
        self.start_ok(PW2, 2)
        self.stop_ok(None)


class OverrideTest(AccessTestBase):
    def test_command_line_override_wins(self):
        pw2, pw3 = "ovr2-Secret-42", "ovr3-Secret-42"
        self.passwords_used.update({pw2, pw3})
        self.start_adapter(instance_policy="director:nowhere", hub_policy="director:elsewhere",
                           extra=["--access-policy", "override:%s,%s" % (pw2, pw3)])
        self.assertIn("access policy override", self.adapter.stderr())
        self.assertNotIn("feeds.controls", self.adapter.stderr())
        ac = self.access_control()
        self.assertEqual((ac["policy"], ac["update_count"], ac["step"]), ("override", 0, 0))
        self.start_ok(None, 1)
        self.stop_ok(WRONG)
        self.start_ok(pw2, 2)
        self.stop_ok(None)
        self.start_ok(pw3, 3)
        self.stop_ok(pw3)

    def test_invalid_policy_fails_at_start(self):
        s = self.stack
        site = write_site(s.tmp, s.router_port, [["--access-policy", "invalid:x"]])
        p = Process("adapter-invalid", [binary("ocs_adapter/ocs_adapter"), "--site-file", site,
                                        "--site-host", "localhost", "--instance-id",
                                        "influxagent", "--embedded-publisher", "--spool-dir",
                                        s.path("spool-invalid"), "--listen", "127.0.0.1:0"],
                    s.tmp)
        s.processes.append(p)
        self.assertNotEqual(p.wait(20), 0)
        self.assertIn('Invalid policy "invalid"', p.stderr())
        s.processes.remove(p)


class HostileRulesTest(AccessTestBase):
    def test_hostile_messages_change_nothing(self):
        self.start_director(CONFIG_PROTECTED)
        self.start_adapter(instance_policy="director:access-dir")
        count = self.wait_update(0)
        w = ocs_e2e.WampThread(self.stack.ws_url)
        self.wamp_clients.append(w)
        feed = {"agent_address": DIRECTOR_ADDRESS, "feed_name": "controls", "record": False}
        free = {"hashed_pass": {"hash": "none", "value": ""}, "cred_level": 3}
        hostile = [
            "not a list",
            [{"reset": True, "ac_version": 2, "rules": [free]}, feed],        # unknown version
            [{"reset": True, "rules": [free]}, feed],                         # no version
            [{"reset": True, "ac_version": 1, "rules": [free] * 5000}, feed],  # huge
            [{"reset": True, "ac_version": 1, "rules": [free, {"cred_level": 3}]}, feed],
            [{"reset": True, "ac_version": 1,
              "rules": [{"hashed_pass": {"hash": "sha256", "value": "x"}, "cred_level": 3}]},
             feed],
            [{"reset": True, "ac_version": 1, "rules": [dict(free, cred_level=99)]}, feed],
            [{"reset": True, "ac_version": 1, "rules": "everything"}, feed],
        ]
        for message in hostile:
            w.publish(CONTROLS, message)
        # A targeted message for another agent: not for us, ignored.
        w.publish(CONTROLS, [{"target": "someone-else", "ac_version": 1, "rules": [free]},
                             feed])
        # A round trip through the adapter after the publications.
        time.sleep(0.5)
        self.assertEqual(self.access_control()["update_count"], count)
        self.assert_refused(self.client().start("record"), 1, 0)
        self.start_ok(PW1, 1)
        self.stop_ok(PW2)
        wait_until(lambda: "refused" in self.adapter.stderr(), 10, what="a refusal logged")
        refusals = re.findall(r"access: a message on \S+ refused", self.adapter.stderr())
        # Rate-limited: one line per 10 s, the rest counted into the next.
        self.assertEqual(len(refusals), 1, refusals)
        self.assertTrue(self.adapter.alive())


if __name__ == "__main__":
    ocs_e2e.main()
