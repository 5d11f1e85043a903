"""Byte-identical datasets across processes (a fresh interpreter computes the same sha256)."""
import hashlib
import json
import os
import subprocess
import sys

from arkit.data import load_dataset
from data_contract import PROCEDURAL

SCRIPT = """
import hashlib, json, sys
from arkit.data import load_dataset, DataNotFoundError
out = {}
for name in sys.argv[1:]:
    for split in ("train", "valid"):
        try:
            s = load_dataset(name, split)
        except DataNotFoundError:
            continue
        y = b"" if s.y is None else s.y.tobytes()
        out[f"{name}/{split}"] = [hashlib.sha256(s.x.tobytes()).hexdigest(), hashlib.sha256(y).hexdigest()]
print(json.dumps(out))
"""


def digests(names):
    out = {}
    for name in names:
        for split in ("train", "valid"):
            try:
                s = load_dataset(name, split)
            except FileNotFoundError:
                continue
            y = b"" if s.y is None else s.y.tobytes()
            out[f"{name}/{split}"] = [hashlib.sha256(s.x.tobytes()).hexdigest(), hashlib.sha256(y).hexdigest()]
    return out


def test_does_a_second_process_produce_the_same_bytes():
    names = PROCEDURAL + ["mnist_color", "binarized_mnist"]
    env = dict(os.environ, PYTHONHASHSEED="123")  # a different hash seed must not matter
    run = subprocess.run([sys.executable, "-c", SCRIPT, *names], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    mine = digests(names)
    assert set(mine) >= {f"{n}/{s}" for n in PROCEDURAL for s in ("train", "valid")}
    assert theirs == mine
