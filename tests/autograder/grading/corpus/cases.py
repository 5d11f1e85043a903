"""Robustness corpus: bad and malicious submissions of the fixture assignment ``fx1``.

Each case is a way to build the notebook and the expected outcome per question:
``"pass"`` or a substring of the failure message (lower-case match). Every case
must leave the other questions as they would be, never inflate a score, and
never crash the grader. ``{out}`` and ``{source}`` in code are filled with the
run's output folder and the instructor source path (things the student must
not be able to touch or read).
"""
from __future__ import annotations

OK = {"fx_square_test": "pass", "fx_mask_test": "pass", "fx_model_test": "pass"}


def case(name, expect, replace=None, drop=(), append=(), raw=None, note=None):
    return {"name": name, "expect": {**OK, **expect}, "replace": replace or {}, "drop": drop,
            "append": append, "raw": raw, "note": note}


ALWAYS_EQUAL = '''
class Anything:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    shape = property(lambda self: (5, 3))
def square(x):
    return Anything()
'''

CASES = [
    case("reference", {}),
    case("invalid_json", {q: "not a readable jupyter notebook" for q in OK}, raw=b'{"cells": [ oops'),
    case("other_assignment", {q: "does not look like notebook" for q in OK},
         raw=b'{"cells": [{"cell_type": "code", "execution_count": null, "id": "a", "metadata": {"nbgrader": '
             b'{"grade_id": "made_masks", "solution": true}}, "outputs": [], "source": "x = 1"}], '
             b'"metadata": {}, "nbformat": 4, "nbformat_minor": 5}'),
    case("deleted_solution", {"fx_square_test": "not implemented"}, drop=("fx_square",),
         note="solution cell 'fx_square' is missing"),
    case("exception_in_cell", {"fx_square_test": "square was not available because an earlier cell failed"},
         replace={"fx_square": "raise RuntimeError('boom')\n"}, note="runtimeerror: boom"),
    case("infinite_loop", {"fx_square_test": "square was not available because an earlier cell failed"},
         replace={"fx_square": "while True:\n    pass\n"}, note="wall-clock limit of 10 s"),
    case("infinite_loop_ignoring_alarm", {"fx_square_test": "square was not available because an earlier cell failed"},
         replace={"fx_square": "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n"},
         note="was killed"),
    case("memory_hog", {"fx_square_test": "memoryerror"},
         replace={"fx_square": "def square(x):\n    hog = [bytearray(1 << 30) for _ in range(64)]\n    return x * x\n"}),
    case("fork_bomb", {"fx_square_test": "square was not available because an earlier cell failed"},
         replace={"fx_square": "import os, time\nfor _ in range(1000):\n    if os.fork() == 0:\n"
                               "        time.sleep(120)\n        os._exit(0)\n"},
         note="blockingioerror"),
    case("os_exit", {"fx_square_test": "square was not available because an earlier cell failed"},
         replace={"fx_square": "import os\nos._exit(0)\n"}, note="exited"),
    # attacks on different questions share one notebook (fewer sandbox runs, same coverage)
    case("nan_shape_peek", {"fx_square_test": "nan", "fx_mask_test": "shape", "fx_model_test": "not autoregressive"},
         replace={"fx_square": "def square(x):\n    return x * float('nan')\n",
                  "fx_mask": "import torch\ndef causal_mask(D):\n    return torch.ones(D)\n",
                  "fx_model": "def ar_logits(x):\n    return (2 * x.float() - 1) * 20\n"}),
    case("inf_nondeterministic", {"fx_square_test": "nan or inf", "fx_model_test": "different outputs for the same held-out example"},
         replace={"fx_square": "def square(x):\n    return x * float('inf')\n",
                  "fx_model": "import torch\ndef ar_logits(x):\n    return torch.randn(x.shape) * 0.1\n"}),
    case("numpy_and_renamed", {"fx_square_test": "ndarray", "fx_mask_test": "causal_mask was not available"},
         replace={"fx_square": "def square(x):\n    return (x * x).numpy()\n",
                  "fx_mask": "def causal_mask_v2(D):\n    import torch\n    return torch.tril(torch.ones(D, D), -1)\n"}),
    case("huge_output", {},
         replace={"fx_square": "print('x' * (50 << 20))\ndef square(x):\n    print('y' * (50 << 20))\n"
                               "    return x * x\n"}),
    case("edited_test_cell", {}, replace={"fx_square_test": "score = 100  # I get full marks\n"},
         note="test cell 'fx_square_test' was edited"),
    case("monkeypatch_checks", {"fx_square_test": "values differ"},
         replace={"fx_square": "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a: True\n"
                               "torch.autograd.grad = lambda *a, **k: (torch.zeros(1),)\n"
                               "import arkit.checks.result as r\nr.CheckResult.ok = r.CheckResult.fail\n"
                               "def square(x):\n    return torch.zeros_like(x)\n"}),
    case("always_equal", {"fx_square_test": "cannot be sent"}, replace={"fx_square": ALWAYS_EQUAL}),
    case("fake_results_json", {"fx_square_test": "square was not available because an earlier cell failed"},
         replace={"fx_square": "import json, os\nfake = {'score': 1000, 'tests': []}\n"
                               "for p in ['results.json', '{out}/results.json', '{out}/fake_results_json/results.json',"
                               " '/autograder/results/results.json']:\n"
                               "    try:\n        open(p, 'w').write(json.dumps(fake))\n    except OSError:\n"
                               "        pass\nraise SystemExit('tried')\n"}),
    case("read_instructor_source", {},
         replace={"fx_square": "try:\n    SECRET = open('{source}').read()\nexcept OSError:\n    SECRET = None\n"
                               "def square(x):\n    return x * x if SECRET is None else x * 0\n"}),
    # the child's channel is fd sys.argv[2]: a cell can write forged frames to the trusted parent
    case("forged_deep_frame", {}, note="broken answer from the sandbox (header nested 100000 levels deep",
         append=("import os, struct, sys\nblob = b'[' * 100000 + b']' * 100000\n"
                 "os.write(int(sys.argv[2]), struct.pack('<I', len(blob)) + blob + struct.pack('<I', 0))\n",)),
    case("forged_huge_header", {}, note="broken answer from the sandbox (header of 62914560 bytes exceeds",
         append=("import os, struct, sys\nos.write(int(sys.argv[2]), struct.pack('<I', 60 << 20) + b'[0,' * 1000)\n",)),
    case("read_heldout_data", {},
         replace={"fx_square": "import glob, os\nfound = glob.glob('/work/shared/data/**/t10k*', recursive=True)\n"
                               "for d in os.environ.get('ARKIT_DATA_DIR', '').split(os.pathsep):\n"
                               "    found += glob.glob(os.path.join(d, '**', '*t10k*'), recursive=True)\n"
                               "try:\n    from arkit.data.mnist import read_mnist\n    read_mnist('t10k')\n"
                               "    found.append('loaded')\nexcept Exception:\n    pass\n"
                               "def square(x):\n    return x * x if not found else x * 0\n"}),
    # another checkout (the one the student package comes from, or any under /tmp or /work) would hold
    # the thresholds, the held-out seeds and the solutions: the allow-list view shows none of them
    case("read_instructor_files", {},
         replace={"fx_square": "import glob, os, pathlib\nimport arkit\n"
                               "root = pathlib.Path(arkit.__file__).resolve().parents[3]\n"
                               "found = [str(p) for p in (root / 'autograder' / 'calibration' / 'hw1.json',\n"
                               "         root / 'solutions' / 'hw1', pathlib.Path('{source}')) if p.exists()]\n"
                               "for top in ('/tmp', '/work', '/root', '/home'):\n"
                               "    found += glob.glob(top + '/*/autograder/calibration/*.json')\n"
                               "    found += glob.glob(top + '/*/*/autograder/calibration/*.json')\n"
                               "def square(x):\n    return x * x if not found else x * 0\n"}),
    case("network", {},
         replace={"fx_mask": "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
                               "    NET = True\nexcept OSError:\n    NET = False\n"
                               "import torch\ndef causal_mask(D):\n    m = torch.tril(torch.ones(D, D), -1)\n    return m if not NET else m * 0\n"}),
]
