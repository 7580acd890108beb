#!/usr/bin/env python3
"""Packs OCS publications with Python's msgpack, as autobahn-python (and so
every Python OCS agent publishing over wamp.2.msgpack) sends them: the JSON
line read by json.loads, then msgpack.packb(use_bin_type=True) -- floats as
float64, ints as the smallest int, str as str.

Writes, from the repository root:
  tests/ocs_adapter/testdata/ocs_feeds.jsonl      a copy of examples/ocs_feeds.jsonl
                                                  (the root package exports no files)
  tests/ocs_adapter/testdata/ocs_feeds.msgpack    examples/ocs_feeds.jsonl
  tests/ocs_adapter/testdata/ocs_vectors.jsonl    the first 40 lines of
                                                  tests/core/testdata/ocs_vectors.jsonl
  tests/ocs_adapter/testdata/ocs_vectors.msgpack  those 40 lines
    (one packed object per input line, concatenated)
  tests/fuzz/corpus/msgpack_event/*               seeds for the fuzz target

Run: cd <repo> && /usr/bin/python3 tests/ocs_adapter/testdata/make_msgpack_vectors.py
"""
import json
import os

import msgpack


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def stream(src, dst):
    with open(src) as f, open(dst, "wb") as out:
        for line in f:
            if line.strip():
                out.write(pack(json.loads(line)))


import shutil
shutil.copyfile("examples/ocs_feeds.jsonl", "tests/ocs_adapter/testdata/ocs_feeds.jsonl")
stream("examples/ocs_feeds.jsonl", "tests/ocs_adapter/testdata/ocs_feeds.msgpack")
with open("tests/core/testdata/ocs_vectors.jsonl") as f:
    vectors = [l for l in f if l.strip()][:40]
with open("tests/ocs_adapter/testdata/ocs_vectors.jsonl", "w") as out:
    out.writelines(vectors)
stream("tests/ocs_adapter/testdata/ocs_vectors.jsonl",
       "tests/ocs_adapter/testdata/ocs_vectors.msgpack")

corpus = "tests/fuzz/corpus/msgpack_event"
os.makedirs(corpus, exist_ok=True)
with open("examples/ocs_feeds.jsonl") as f:
    lines = [json.loads(l) for l in f if l.strip()]
seeds = {
    "fake_data": lines[0],
    "heartbeat": lines[1],
    "spec_example": [
        {"test": {"block_name": "test", "timestamps": [1615394417.3590388],
                  "data": {"key1": [1], "key2": [2.3], "key3": ["test"]}}},
        {"agent_address": "test_address", "feed_name": "test_feed",
         "record": True, "agg_params": {}, "session_id": "1",
         "agent_class": "X", "address": "test_address.feeds.test_feed"}],
    "mixed_types": [
        {"b": {"block_name": "b", "timestamps": [1.5, 2, 18446744073709551615],
               "data": {"u": [18446744073709551615, -1, 2**63],
                        "m": [True, None, "x y,z=\"\\"],
                        "f": [float("nan"), float("inf"), -0.0]}}},
        {"agent_address": "a b", "feed_name": "f,n", "record": True,
         "agg_params": {"frame_length": 60, "fresh_time": 1.5}}],
}
for name, obj in seeds.items():
    with open(os.path.join(corpus, name), "wb") as out:
        out.write(pack(obj))
# Shapes msgpack allows and JSON does not: bin, ext, non-string keys, float32.
with open(os.path.join(corpus, "non_json"), "wb") as out:
    out.write(pack([{1: b"\x00\xff", "t": msgpack.ExtType(5, b"ab")},
                    {"agent_address": "a", "feed_name": "f", "record": True}]))
with open(os.path.join(corpus, "float32"), "wb") as out:
    out.write(msgpack.packb(seeds["spec_example"], use_single_float=True))
