#!/usr/bin/python3
"""Drives an OCS agent through crossbar's HTTP caller bridge, byte for byte
as ocs.ocs_client.OCSClient (over ocs.client_http.ControlClient) does.

OCSClient's requests, as they travel:
  start:  {"procedure": "<addr>.ops", "args": ["start", op, {params}], "kwargs": {PW}}
  stop:   {"procedure": "<addr>.ops", "args": ["stop", op, {}], "kwargs": {PW}}
  wait:   {"procedure": "<addr>.ops", "args": ["wait", op, {}],
           "kwargs": {"timeout": t, PW}}      <- timeout is a KWARG
  status: {"procedure": "<addr>.ops", "args": ["status", op, {}], "kwargs": {PW}}
  get_api:{"procedure": "<addr>", "args": ["get_api"], "kwargs": {}}
PW (OCS access control, ocs_client.py of OCS 0.12's access control): the
client's password in CLEAR TEXT, `"password": "a"`, sent with every ops
request, but only when it is not None or '' AND the agent's get_api has a
non-null `access_control` (else OCSClient warns and drops it); otherwise
the kwarg is absent. `password_mode="null"` sends `"password": null` always
(the form of earlier clients, still accepted by agents).
The reply `{"args": [[status, message, session]], "kwargs": {}}` is read as
args[0]; `{"error": uri, ...}` raises ControlClientError; so does a non-200.
`positional_timeout=True` sends `[action, op, params, timeout]` instead (the
form the agent's handler signature also accepts).

CLI: ocs_client.py --http http://127.0.0.1:PORT/call observatory.influxagent status record
     ocs_client.py --http URL ADDR start record --params '{"test_mode": true}'
     ocs_client.py --http URL ADDR wait record --timeout 5
     ocs_client.py --http URL ADDR stop|abort record
     ocs_client.py --http URL ADDR get_api|get_tasks|get_processes|get_feeds|get_agent_class
Prints the reply as JSON; exit status 0 if the OCS status is OK (0), 1 for
ERROR, 2 for TIMEOUT, 3 for a transport or WAMP error.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request

OK, ERROR, TIMEOUT = 0, -1, 1


class ControlClientError(RuntimeError):
    pass


class OCSClient:
    def __init__(self, http_url, agent_address, password=None, http_timeout=60.0,
                 positional_timeout=False, password_mode="ocs"):
        self.url = http_url
        self.address = agent_address
        self.password = password
        self.http_timeout = http_timeout
        self.positional_timeout = positional_timeout
        self.password_mode = password_mode
        self._use_password = None   # from get_api, on the first request

    def feature_kw(self):
        """OCSClient's feature_kw: the password kwarg, or nothing."""
        if self.password_mode == "null":
            return {"password": self.password}
        if self.password in (None, ""):
            return {}
        if self._use_password is None:
            self._use_password = self.get_api().get("access_control") is not None
        return {"password": self.password} if self._use_password else {}

    def call(self, procedure, *args, **kwargs):
        """ocs.client_http.ControlClient.call: a JSON body (OCS sends no JSON
        Content-Type, so the bridge must not insist on one), errors raised as
        ControlClientError."""
        body = json.dumps({"procedure": procedure, "args": list(args), "kwargs": kwargs}).encode()
        req = urllib.request.Request(self.url, data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.http_timeout) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise ControlClientError([0, 0, 0, 0, "client_http.error.connection_error",
                                      ["Failed to connect to %s: %s" % (self.url, e)], {}])
        if status != 200:
            raise ControlClientError([0, 0, 0, 0, "client_http.error.request_error",
                                      ["Server replied with code %i" % status], {}])
        decoded = json.loads(text)
        if "error" in decoded:
            raise ControlClientError([0, 0, 0, 0, decoded["error"], decoded["args"],
                                      decoded["kwargs"]])
        return decoded["args"][0]

    def call_raw(self, procedure, args, kwargs):
        """One bridge POST; returns (http status, decoded JSON body)."""
        body = json.dumps({"procedure": procedure, "args": args, "kwargs": kwargs}).encode()
        req = urllib.request.Request(self.url, data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.http_timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    # ----- the .ops interface (ControlClient.request)

    def request(self, action, op_name, params=None, **kw):
        reply = self.call(self.address + ".ops", action, op_name,
                          {} if params is None else params, **kw)
        if not (isinstance(reply, list) and len(reply) == 3):
            raise ControlClientError("reply is not [status, message, session]: %r" % (reply,))
        return reply

    def start(self, op_name, **params):
        return self.request("start", op_name, params=params, **self.feature_kw())

    def stop(self, op_name):
        return self.request("stop", op_name, **self.feature_kw())

    def abort(self, op_name):
        return self.request("abort", op_name, **self.feature_kw())

    def status(self, op_name):
        return self.request("status", op_name, **self.feature_kw())

    def wait(self, op_name, timeout=None):
        if self.positional_timeout:
            return self.call(self.address + ".ops", "wait", op_name, {}, timeout)
        return self.request("wait", op_name, timeout=timeout, **self.feature_kw())

    # ----- the management procedure

    def get_api(self):
        return self.call(self.address, "get_api")

    def get_tasks(self):
        return self.call(self.address, "get_tasks")

    def get_processes(self):
        return self.call(self.address, "get_processes")

    def get_feeds(self):
        return self.call(self.address, "get_feeds")

    def get_agent_class(self):
        return self.call(self.address, "get_agent_class")


def main(argv=None):
    p = argparse.ArgumentParser(description="OCSClient over the HTTP bridge.")
    p.add_argument("--http", required=True, help="http://127.0.0.1:PORT/call")
    p.add_argument("--params", default="{}", help="JSON object of start params")
    p.add_argument("--timeout", type=float, default=None, help="wait timeout, seconds")
    p.add_argument("--password", default=None)
    p.add_argument("address")
    p.add_argument("action", choices=["start", "stop", "abort", "wait", "status", "get_api",
                                      "get_tasks", "get_processes", "get_feeds",
                                      "get_agent_class"])
    p.add_argument("op_name", nargs="?")
    a = p.parse_args(argv)
    c = OCSClient(a.http, a.address, password=a.password)
    try:
        if a.action.startswith("get_"):
            print(json.dumps(getattr(c, a.action)(), indent=1, sort_keys=True))
            return 0
        if not a.op_name:
            p.error("%s needs an op_name" % a.action)
        if a.action == "start":
            reply = c.start(a.op_name, **json.loads(a.params))
        elif a.action == "wait":
            reply = c.wait(a.op_name, a.timeout)
        else:
            reply = getattr(c, a.action)(a.op_name)
    except ControlClientError as e:
        print(json.dumps({"error": e.args[0]}), file=sys.stderr)
        return 3
    print(json.dumps(reply, indent=1, sort_keys=True))
    return {OK: 0, ERROR: 1, TIMEOUT: 2}.get(reply[0], 3)


if __name__ == "__main__":
    sys.exit(main())
