#!/usr/bin/python3
"""A fake OCS Access Director (ocs/agents/access_director/agent.py) on
python3-autobahn/asyncio: it distributes access rules the way OCS's does.

  access_director.py --url ws://127.0.0.1:PORT/ws --realm test_realm \
      --address observatory.access-dir --config FILE.json

The config (JSON here, YAML in OCS; the same keys as OCS's ocs-access.yaml):
  {"passwords": [{"default": true, "password_1": "", "password_2": "a",
                  "password_4": "superuser"}],
   "passwords_block_default_hashfunc": "none", "distrib_hashfunc": "md5",
   "exclusive_access_blocks": [{"name": "test-grant", "password": null,
       "grants": [{"agent_class": "InfluxDBAgent", "instance_id": "influx*",
                   "cred_level": 2, "lockout_levels": [1, 2, 3]}]}]}
Each password_N becomes a rule {hashed_pass, cred_level N, scope_spec}: ''
is free ({hash: none, value: ''}); another string is hashed with
distrib_hashfunc (md5: the first 16 hex digits).

As OCS's director:
  - feed `controls` (record False): each message travels as ONE positional
    argument [message, feed_info] to `<address>.feeds.controls`;
  - `<address>.agent_poll(instance_id=, agent_class=)` returns None and
    queues a targeted answer {"target": id, "ac_version": 1, "rules": [the
    rules whose scope matches that agent]};
  - a reset {"reset": true, "ac_version": 1, "rules": [config rules, then
    every active grant's rules]} at start-up, on each grant acquired,
    released or expired, and every 60 s;
  - `<address>.request_exclusive(grant_name=, password=, action=
    acquire|renew|release, expire_at=, grantee=)`: acquire answers
    {"message": "grant acquired", "password": 8 random letters, "grant_name",
    "expire_at"}; each grant item becomes a rule with that password (md5),
    lockout_id = grant name, lockout_owner = grantee;
  - the queue is worked once a second (the manager process's loop).

Prints `READY` on stdout (flushed) once registered; runs until SIGINT/SIGTERM.
"""

import argparse
import asyncio
import fnmatch
import hashlib
import json
import os
import random
import signal
import string
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wamp_session import join  # noqa: E402

AC_VERSION = 1
HASHFUNCS = {"none": lambda x: x,
             "md5": lambda x: hashlib.md5(x.encode("utf-8")).hexdigest()[:16]}


def pattern_match(target, pattern):
    pos, neg = [], []
    for sub in pattern.split(","):
        dest = pos
        if sub.startswith("!"):
            dest, sub = neg, sub[1:]
        if not sub:
            continue
        dest.append(fnmatch.fnmatchcase(target, sub))
    return (len(pos) == 0 or any(pos)) and not any(neg)


def scope_check(scope, instance_id, agent_class):
    if scope.get("default"):
        return True
    if scope.get("agent_class") is None and scope.get("instance_id") is None:
        return False
    if scope.get("agent_class") is not None and not pattern_match(agent_class,
                                                                   scope["agent_class"]):
        return False
    if scope.get("instance_id") is not None and not pattern_match(instance_id,
                                                                   scope["instance_id"]):
        return False
    return True


def scope_of(item):
    return {"default": bool(item.get("default", False)),
            "agent_class": item.get("agent_class"),
            "instance_id": item.get("instance_id")}


def rule(hashed_pass, level, scope, lockout_id=None, lockout_owner=None, lockout_levels=()):
    return {"hashed_pass": hashed_pass, "cred_level": level, "scope_spec": scope,
            "lockout_id": lockout_id, "lockout_owner": lockout_owner,
            "lockout_levels": list(lockout_levels)}


def parse_config(cfg):
    """access.director_parse_config: the distributed rules."""
    default_hash = cfg.get("passwords_block_default_hashfunc", "none")
    distrib = cfg.get("distrib_hashfunc", "md5")
    rules = []
    for item in cfg.get("passwords", []):
        for level in (1, 2, 3, 4):
            pw = item.get("password_%d" % level)
            if pw is None:
                continue
            if pw == "":
                hp = {"hash": "none", "value": ""}
            elif isinstance(pw, dict):
                hp = dict(pw)
            else:
                hp = {"hash": default_hash, "value": pw}
            if hp["hash"] == "none" and hp["value"] != "":
                hp = {"hash": distrib, "value": HASHFUNCS[distrib](hp["value"])}
            rules.append(rule(hp, level, scope_of(item)))
    return rules


class Director:
    def __init__(self, args):
        self.args = args
        self.address = args.address
        with open(args.config) as f:
            self.config = json.load(f)
        self.rules = parse_config(self.config)
        self.blocks = {b["name"]: b for b in self.config.get("exclusive_access_blocks", [])}
        self.grants = {}   # name -> {"grantee", "expire_at", "rules"}
        self.requests = [{"type": "reset"}]
        self.session_id = str(time.time())
        self.published = 0

    def feed_info(self):
        return {"agent_address": self.address, "agg_params": {}, "feed_name": "controls",
                "address": self.address + ".feeds.controls", "record": False,
                "session_id": self.session_id, "agent_class": "AccessDirector"}

    def all_rules(self):
        out = list(self.rules)
        for g in self.grants.values():
            out.extend(g["rules"])
        return out

    # ----- RPCs

    def agent_poll(self, instance_id=None, agent_class=None):
        self.requests.append({"type": "single", "instance_id": instance_id,
                              "agent_class": agent_class})
        return None

    def request_exclusive(self, grant_name=None, password=None, action=None, expire_at=None,
                          grantee=None, strict=True):
        block = self.blocks.get(grant_name)
        if block is None:
            return {"error": "No grant called %s" % grant_name}
        if block.get("password") not in (None, "") and password != block["password"]:
            return {"error": "Password incorrect for grant %s" % grant_name}
        if expire_at is None:
            expire_at = time.time() + 60
        if action == "acquire":
            if grant_name in self.grants:
                return {"error": "Grant %s is already held" % grant_name}
            pw = "".join(random.choice(string.ascii_letters) for _ in range(8))
            hashed = {"hash": block.get("hash", "md5"),
                      "value": HASHFUNCS[block.get("hash", "md5")](pw)}
            rules = [rule(hashed, g["cred_level"], scope_of(g), grant_name, grantee,
                          g.get("lockout_levels", [])) for g in block["grants"]]
            self.grants[grant_name] = {"grantee": grantee, "expire_at": expire_at,
                                       "rules": rules}
            self.requests.append({"type": "reset"})
            return {"message": "grant acquired", "password": pw, "grant_name": grant_name,
                    "expire_at": expire_at}
        if grant_name not in self.grants:
            return {"error": "Grant %s is not held" % grant_name}
        if action == "renew":
            self.grants[grant_name]["expire_at"] = expire_at
            return {"message": "grant renewed", "grant_name": grant_name,
                    "expire_at": expire_at}
        if action == "release":
            del self.grants[grant_name]
            self.requests.append({"type": "reset"})
            return {"message": "grant released", "grant_name": grant_name}
        return {"error": "Unknown action %r" % (action,)}

    # ----- the manager loop

    def publish(self, msg):
        self.wamp.publish(self.address + ".feeds.controls", [msg, self.feed_info()])
        self.published += 1
        print("PUBLISHED %s %d" % ("reset" if msg.get("reset") else "target", self.published),
              flush=True)

    async def manager(self):
        last_blast = time.time()
        while True:
            now = time.time()
            for name in [n for n, g in self.grants.items() if g["expire_at"] < now]:
                del self.grants[name]
                self.requests.append({"type": "reset"})
            while self.requests:
                r = self.requests.pop(0)
                msg = {"reset": True, "ac_version": AC_VERSION, "rules": self.all_rules()}
                if r["type"] == "reset":
                    last_blast = time.time()
                else:
                    sub = [x for x in msg["rules"]
                           if scope_check(x["scope_spec"], r["instance_id"], r["agent_class"])]
                    msg = {"target": r["instance_id"], "ac_version": AC_VERSION, "rules": sub}
                self.publish(msg)
            if time.time() - last_blast > 60:
                self.requests.append({"type": "reset"})
            await asyncio.sleep(1.0)

    async def run(self):
        a = self.args
        self.wamp = await join(a.url, a.realm)
        await self.wamp.register(self.agent_poll, self.address + ".agent_poll")
        await self.wamp.register(self.request_exclusive, self.address + ".request_exclusive")
        mgr = asyncio.ensure_future(self.manager())
        print("READY", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        waiters = [asyncio.ensure_future(stop.wait()),
                   asyncio.ensure_future(asyncio.shield(self.wamp.left))]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()
        mgr.cancel()
        if self.wamp.is_attached():
            await self.wamp.close()
        return 0


def main(argv=None):
    p = argparse.ArgumentParser(description="A fake OCS Access Director.")
    p.add_argument("--url", required=True)
    p.add_argument("--realm", default="test_realm")
    p.add_argument("--address", default="observatory.access-dir")
    p.add_argument("--config", required=True, help="JSON access config (see the docstring)")
    return asyncio.run(Director(p.parse_args(argv)).run())


if __name__ == "__main__":
    sys.exit(main())
