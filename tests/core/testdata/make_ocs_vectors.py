#!/usr/bin/env python3
"""Writes ocs_vectors.jsonl (publications, one JSON [message, feed] per line)
and ocs_vectors.expected (the line protocol the Python InfluxDB Publisher
Agent writes for them), by formatting exactly as ocs/common/influxdb_drivers.py
does: f"{key}={value}" with an "i" for ints (not bools), quoted strings,
int(t * 1e9). Only inputs the Python agent handles correctly are generated
(no escapable characters, no NaN), so the bytes must match ours exactly.

Run: /usr/bin/python3 make_ocs_vectors.py  (deterministic, seeded)
"""
import json
import random

random.seed(20261127)


def python_agent_line(measurement, feed_name, fields, t):
    parts = []
    for k, v in fields.items():
        if isinstance(v, str):
            s = f'{k}="{v}"'
        else:
            s = f"{k}={v}"
        if isinstance(v, int) and not isinstance(v, bool):
            s += "i"
        parts.append(s)
    return f"{measurement},feed={feed_name} {','.join(parts)} {int(t * 1e9)}"


def random_value(kind):
    if kind == "float":
        return random.choice([
            random.uniform(-1e3, 1e3), random.uniform(0, 1) * 10 ** random.randint(-12, 20),
            float(random.randint(-5, 5)), random.uniform(-1, 1) * 1e-7, 1e16, 0.1 + 0.2])
    if kind == "int":
        return random.choice([random.randint(-2**63, 2**63 - 1), random.randint(-100, 100), 0])
    if kind == "bool":
        return random.random() < 0.5
    return random.choice(["", "test", "on", "a-b_c.d", "\u00b5K", "x" * 300])


publications, expected = [], []
for n in range(200):
    agent = f"observatory.agent-{n % 7}"
    feed_name = random.choice(["temperatures", "pressures", "pointing", "hk_0"])
    message = {}
    lines = []
    for b in range(random.randint(1, 3)):
        npoints = random.randint(0, 6)
        t0 = random.uniform(1.5e9, 1.9e9)
        timestamps = [t0 + i * random.uniform(0.001, 1.0) for i in range(npoints)]
        data = {}
        for f in range(random.randint(1, 8)):
            kind = random.choice(["float", "float", "float", "int", "bool", "str"])
            data[f"{kind}_{b}_{f}"] = [random_value(kind) for _ in range(npoints)]
        block_name = f"block{b}"
        message[block_name] = {"block_name": block_name, "timestamps": timestamps, "data": data}
        for i, t in enumerate(timestamps):
            lines.append(python_agent_line(agent, feed_name,
                                           {k: v[i] for k, v in data.items()}, t))
    feed = {"agent_address": agent, "agg_params": {"frame_length": 60},
            "feed_name": feed_name, "address": f"{agent}.feeds.{feed_name}",
            "record": True, "session_id": "1615394417.0", "agent_class": "FakeDataAgent"}
    publications.append(json.dumps([message, feed]))
    expected.extend(lines)

with open("ocs_vectors.jsonl", "w") as f:
    f.write("\n".join(publications) + "\n")
with open("ocs_vectors.expected", "w") as f:
    f.write("\n".join(expected) + "\n")
