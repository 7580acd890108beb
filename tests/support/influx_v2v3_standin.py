#!/usr/bin/python3
"""A stand-in for InfluxDB 2 or 3, for tests only: the documented write,
bucket, org, health and ping endpoints of the InfluxDB 2 API (--flavor v2)
or of InfluxDB 3 Core (--flavor v3), in front of a real influxd 1.6 that
stores the points. A v2 bucket or a v3 database is an influxd database.

It checks the token, decodes gzip, answers with the documented status codes,
error bodies and headers (v2 stamps X-Influxdb-Version on every answer; v3
only on /ping), and reports a v3 partial write line by line: when influxd
refuses a batch, the lines are sent to influxd one at a time, so the answer
names exactly the lines influxd refused.

Faults are switched at run time through POST /_standin/control (no auth),
a JSON object with any of:
  {"token": "new-token"}                       the token accepted from now on
  {"fault": {"status": 429, "count": 2, "retry_after": 2}}
                                               the next `count` writes answer
                                               `status` (401, 404, 429, 503,
                                               500, ...), with Retry-After
  {"slow": 1.5}                                every write waits this long
  {"clear": true}                              no fault, not slow
GET /_standin/log answers the writes seen so far, one per line:
  <monotonic seconds> <status> <lines stored> <path>

Usage: influx_v2v3_standin.py --influxd URL --flavor v2|v3 --token T
       [--org NAME] --port-file PATH
The port it listens on (127.0.0.1, chosen by the kernel) is written to
PORT_FILE once it serves.
"""

import argparse
import gzip
import hashlib
import http.client
import http.server
import json
import os
import re
import threading
import time
import urllib.parse

ORG_ID = "0123456789abcdef"
V2_VERSION = "v2.7.12"
V3_VERSION = "3.1.0"
DB_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.token = args.token
        self.org = args.org
        self.flavor = args.flavor
        self.influxd = urllib.parse.urlsplit(args.influxd)
        self.fault = None  # {"status", "count", "retry_after"}
        self.slow = 0.0
        self.log = []
        self.known_dbs = set()

    def take_fault(self):
        with self.lock:
            f = self.fault
            if f is None:
                return None
            f["count"] -= 1
            if f["count"] <= 0:
                self.fault = None
            return dict(f)

    def note(self, path, status, lines):
        with self.lock:
            self.log.append({"t": time.monotonic(), "status": status,
                             "lines": lines, "path": path})


def influxd_request(state, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(state.influxd.hostname,
                                      state.influxd.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def influxd_query(state, q):
    body = urllib.parse.urlencode({"q": q}).encode()
    return influxd_request(state, "POST", "/query", body,
                           {"Content-Type": "application/x-www-form-urlencoded"})


def influxd_databases(state):
    status, body = influxd_query(state, "SHOW DATABASES")
    if status != 200:
        raise RuntimeError("influxd SHOW DATABASES: HTTP %d" % status)
    names = []
    for result in json.loads(body).get("results", []):
        for series in result.get("series", []):
            for row in series.get("values", []):
                if row[0] != "_internal":
                    names.append(row[0])
    return names


def quote_ident(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bucket_json(name):
    return {"id": hashlib.sha1(name.encode()).hexdigest()[:16], "orgID": ORG_ID,
            "type": "user", "name": name, "retentionRules": [],
            "links": {"self": "/api/v2/buckets/" + name}}


def influxd_error(body):
    try:
        return json.loads(body).get("error", "")
    except ValueError:
        return body.decode("utf-8", "replace")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "influx-v2v3-standin"

    def log_message(self, fmt, *args):  # quiet: tests read /_standin/log
        pass

    @property
    def state(self):
        return self.server.state

    # -- answers ----------------------------------------------------------
    def answer(self, status, body=b"", content_type=None, headers=None,
               version_headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            content_type = content_type or "application/json; charset=utf-8"
        elif isinstance(body, str):
            body = body.encode()
            content_type = content_type or "text/plain; charset=utf-8"
        self.send_response(status)
        if version_headers is None:
            version_headers = self.state.flavor == "v2"
        if version_headers:
            if self.state.flavor == "v2":
                self.send_header("X-Influxdb-Build", "OSS")
                self.send_header("X-Influxdb-Version", V2_VERSION)
            else:
                self.send_header("X-Influxdb-Build", "Core")
                self.send_header("X-Influxdb-Version", V3_VERSION)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if content_type and body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def v2_error(self, status, code, message, headers=None):
        h = {"X-Platform-Error-Code": code}
        h.update(headers or {})
        self.answer(status, {"code": code, "message": message}, headers=h)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def token_ok(self, schemes):
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        with self.state.lock:
            return scheme in schemes and token == self.state.token

    # -- routing ----------------------------------------------------------
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/_standin/log":
            with self.state.lock:
                text = "".join("%.6f %d %d %s\n" % (w["t"], w["status"], w["lines"], w["path"])
                               for w in self.state.log)
            return self.answer(200, text, version_headers=False)
        if self.state.flavor == "v2":
            if url.path == "/ping":
                return self.answer(204)
            if url.path == "/health":
                return self.answer(200, {"name": "influxdb", "status": "pass",
                                         "message": "ready for queries and writes",
                                         "checks": [], "version": V2_VERSION})
            if not self.token_ok(("Token",)):
                return self.v2_error(401, "unauthorized", "unauthorized access")
            if url.path == "/api/v2/orgs":
                return self.v2_orgs(q)
            if url.path == "/api/v2/buckets":
                return self.v2_buckets(q)
            return self.v2_error(404, "not found", "path not found")
        # v3: /ping and /health need the token too.
        if not self.token_ok(("Bearer", "Token")):
            return self.answer(401)
        if url.path == "/ping":
            return self.answer(200, {"version": V3_VERSION, "revision": "standin"},
                               version_headers=True)
        if url.path in ("/health", "/api/v1/health"):
            return self.answer(200, "OK")
        return self.answer(404, "not found")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        body = self.read_body()
        if url.path == "/_standin/control":
            return self.control(body)
        if self.state.flavor == "v2":
            if url.path == "/api/v2/write":
                return self.write(url.path, q, body)
            if not self.token_ok(("Token",)):
                return self.v2_error(401, "unauthorized", "unauthorized access")
            if url.path == "/api/v2/buckets":
                return self.v2_create_bucket(body)
            return self.v2_error(404, "not found", "path not found")
        if url.path == "/api/v3/write_lp":
            return self.write(url.path, q, body)
        if not self.token_ok(("Bearer", "Token")):
            return self.answer(401)
        if url.path == "/ping":
            return self.answer(200, {"version": V3_VERSION, "revision": "standin"},
                               version_headers=True)
        return self.answer(404, "not found")

    # -- control ----------------------------------------------------------
    def control(self, body):
        try:
            c = json.loads(body or b"{}")
        except ValueError as e:
            return self.answer(400, "bad control JSON: %s" % e, version_headers=False)
        with self.state.lock:
            if c.get("clear"):
                self.state.fault = None
                self.state.slow = 0.0
            if "token" in c:
                self.state.token = c["token"]
            if "fault" in c:
                f = dict(c["fault"])
                f.setdefault("count", 1)
                self.state.fault = f
            if "slow" in c:
                self.state.slow = float(c["slow"])
        return self.answer(204, version_headers=False)

    # -- v2 orgs and buckets ------------------------------------------------
    def v2_orgs(self, q):
        name = q.get("org")
        if name is not None and name != self.state.org and name != ORG_ID:
            return self.v2_error(404, "not found",
                                 'organization name "%s" not found' % name)
        return self.answer(200, {"links": {"self": "/api/v2/orgs"},
                                 "orgs": [{"id": ORG_ID, "name": self.state.org,
                                           "status": "active"}]})

    def org_matches(self, q):
        org = q.get("org")
        org_id = q.get("orgID")
        if org is None and org_id is None:
            return None
        return (org in (self.state.org, ORG_ID)) or org_id == ORG_ID

    def v2_buckets(self, q):
        if self.org_matches(q) is False:
            return self.v2_error(404, "not found", "organization not found")
        names = influxd_databases(self.state)
        if "name" in q:
            names = [n for n in names if n == q["name"]]
        return self.answer(200, {"links": {"self": "/api/v2/buckets"},
                                 "buckets": [bucket_json(n) for n in names]})

    def v2_create_bucket(self, body):
        try:
            req = json.loads(body)
            name, org_id = req["name"], req["orgID"]
            rules = req["retentionRules"]
        except (ValueError, KeyError, TypeError) as e:
            return self.v2_error(400, "invalid", "invalid bucket request: %s" % e)
        if org_id != ORG_ID:
            return self.v2_error(404, "not found", "organization not found")
        if not isinstance(name, str) or not name or not isinstance(rules, list):
            return self.v2_error(422, "unprocessable entity", "bucket name is invalid")
        if name in influxd_databases(self.state):
            return self.v2_error(422, "conflict",
                                 "bucket with name %s already exists" % name)
        status, rbody = influxd_query(self.state, "CREATE DATABASE " + quote_ident(name))
        if status != 200 or influxd_error(rbody):
            return self.v2_error(500, "internal error", influxd_error(rbody))
        self.state.note("/api/v2/buckets", 201, 0)
        return self.answer(201, bucket_json(name))

    # -- writes ---------------------------------------------------------------
    def write(self, path, q, body):
        v2 = self.state.flavor == "v2"
        f = self.state.take_fault()
        with self.state.lock:
            slow = self.state.slow
        if slow > 0:
            time.sleep(slow)
        if f is not None:
            return self.fault_answer(path, f)
        if not self.token_ok(("Token",) if v2 else ("Bearer", "Token")):
            self.state.note(path, 401, 0)
            if v2:
                return self.v2_error(401, "unauthorized", "unauthorized access")
            return self.answer(401)
        if self.headers.get("Content-Encoding", "identity") == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError):
                self.state.note(path, 400, 0)
                if v2:
                    return self.v2_error(400, "invalid",
                                         "gzipped HTTP body contains an invalid header")
                return self.answer(400, "gzip decompression failed")
        if v2:
            return self.v2_write(path, q, body)
        return self.v3_write(path, q, body)

    def fault_answer(self, path, f):
        status = int(f["status"])
        headers = {}
        if f.get("retry_after") is not None:
            headers["Retry-After"] = str(f["retry_after"])
        self.state.note(path, status, 0)
        if self.state.flavor == "v3":
            return self.answer(status, b"" if status in (401, 403) else "fault", headers=headers)
        codes = {401: "unauthorized", 403: "forbidden", 404: "not found",
                 429: "too many requests", 503: "unavailable"}
        messages = {401: "unauthorized access", 403: "insufficient permissions for write",
                    404: 'bucket "%s" not found' % f.get("bucket", "?"),
                    429: "too many requests", 503: "temporarily unavailable"}
        return self.v2_error(status, codes.get(status, "internal error"),
                             messages.get(status, "An internal error has occurred"),
                             headers)

    def v2_write(self, path, q, body):
        if "org" not in q and "orgID" not in q:
            self.state.note(path, 400, 0)
            return self.v2_error(400, "invalid", "Please provide either orgID or org")
        if not self.org_matches(q):
            self.state.note(path, 404, 0)
            return self.v2_error(404, "not found", 'organization name "%s" not found'
                                 % q.get("org", q.get("orgID")))
        bucket = q.get("bucket", "")
        precision = q.get("precision") or "ns"
        if precision not in ("ns", "us", "ms", "s"):
            self.state.note(path, 400, 0)
            return self.v2_error(400, "invalid", "invalid precision; valid precision "
                                 "units are ns, us, ms, and s")
        if bucket == "" or bucket not in influxd_databases(self.state):
            self.state.note(path, 404, 0)
            return self.v2_error(404, "not found", 'bucket "%s" not found' % bucket)
        lines = body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)
        status, rbody = influxd_request(
            self.state, "POST", "/write?" + urllib.parse.urlencode(
                {"db": bucket, "precision": {"ns": "n", "us": "u"}.get(precision, precision)}),
            body, {"Content-Type": "text/plain; charset=utf-8"})
        self.state.note(path, 204 if status == 204 else status, lines)
        if status == 204:
            return self.answer(204)
        err = influxd_error(rbody)
        if status == 400 and "partial write" in err:
            return self.v2_error(422, "unprocessable entity",
                                 "failure writing points to database: " + err)
        if status == 400:
            return self.v2_error(400, "invalid", err)
        if status == 413:
            return self.v2_error(413, "request too large",
                                 "unable to read data: points batch is too large")
        return self.v2_error(500, "internal error", err)

    def v3_write(self, path, q, body):
        db = q.get("db")
        if db is None:
            self.state.note(path, 400, 0)
            return self.answer(400, "missing query parameter 'db'")
        if not DB_NAME_RE.match(db):
            self.state.note(path, 400, 0)
            return self.answer(400, {"error": "invalid character in database name: must "
                                     "be ASCII, containing only letters, numbers, "
                                     "underscores, or hyphens", "data": None})
        precision = {"nanosecond": "n", "ns": "n", "n": "n", "microsecond": "u",
                     "us": "u", "u": "u", "millisecond": "ms", "ms": "ms",
                     "second": "s", "s": "s"}.get(q.get("precision", "auto"))
        if precision is None:
            self.state.note(path, 400, 0)
            return self.answer(400, "serde error: unknown precision")
        accept_partial = q.get("accept_partial", "true")
        if accept_partial not in ("true", "false"):
            self.state.note(path, 400, 0)
            return self.answer(400, "serde error: invalid bool")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            self.state.note(path, 500, 0)
            return self.answer(500, "body content is not valid utf8")
        if db not in self.state.known_dbs:
            # InfluxDB 3 creates the database on its first write.
            influxd_query(self.state, "CREATE DATABASE " + quote_ident(db))
            self.state.known_dbs.add(db)
        target = "/write?" + urllib.parse.urlencode({"db": db, "precision": precision})
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        status, rbody = influxd_request(self.state, "POST", target, body)
        if status == 204:
            self.state.note(path, 204, len(lines))
            return self.answer(204)
        if status != 400:
            self.state.note(path, 500, 0)
            return self.answer(500, influxd_error(rbody))
        # Which lines does influxd refuse? One at a time (the accepted ones are
        # written again: influxd keeps an identical point once).
        rejected = []
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            s, b = influxd_request(self.state, "POST", target, line.encode())
            if s != 204:
                rejected.append({"error_message": influxd_error(b), "line_number": number,
                                 "original_line": line.encode()[:20].decode("utf-8", "ignore")})
        if not rejected:
            self.state.note(path, 204, len(lines))
            return self.answer(204)
        self.state.note(path, 400, len(lines) - len(rejected))
        if accept_partial == "false":
            return self.answer(400, {"error": "parsing failed for write_lp endpoint",
                                     "data": rejected[0]})
        return self.answer(400, {"error": "partial write of line protocol occurred",
                                 "data": rejected})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--influxd", required=True)
    p.add_argument("--flavor", choices=["v2", "v3"], required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--org", default="ocs")
    p.add_argument("--port-file", required=True)
    args = p.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.state = State(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
