"""The grader lends its own object to a student's function (:mod:`autograder.grading.served`): calls
come back to the parent and run there, what the object keeps stays there, and nothing the child
sends can reach anything but the lent methods."""
from __future__ import annotations

import pytest
import torch

from autograder.grading import protocol
from autograder.grading.sandbox import Limits, Sandbox
from autograder.grading.served import Opaque, Served

LIMITS = Limits(memory_mb=3072, cell_timeout_s=60)

STUDENT = '''
import torch
from arkit.submission import expose

def run_steps(model, n):
    """A sampler-like loop: n steps through model.step, feeding the cache back."""
    model.eval()
    cache, outs = None, []
    for t in range(n):
        y, cache = model.step(torch.tensor([float(t)]), t, cache)
        outs.append(y)
    return torch.cat(outs), model.size

def peek(model):
    _, cache = model.step(torch.tensor([1.0]), 0, None)
    return torch.as_tensor(cache)             # a handle is not a tensor: this raises

def forge(model):
    return model.step(torch.tensor([1.0]), 0, __import__("protocol").Handle(7))

def private(model):
    return model._obj

KEPT = []

def keep(model):
    KEPT.append(model)
    return torch.zeros(1)

def call_deep(model):
    try:
        model.deep()
    except RuntimeError as exc:
        return str(exc)
    return "answered"

def use_kept():
    return KEPT[0].step(torch.tensor([1.0]), 0, None)[0]

def slow(model):
    model(torch.ones(2))
    while True:
        pass

expose("run_steps", run_steps)
expose("peek", peek)
expose("forge", forge)
expose("private", private)
expose("slow", slow)
expose("keep", keep)
expose("use_kept", use_kept)
expose("call_deep", call_deep)
'''


class Accumulator:
    """step(x, t, cache) -> (x + sum of earlier x, cache); the cache is a list kept by the parent."""

    def __init__(self):
        self.seen_caches = []

    def step(self, x, t, cache):
        cache = [] if cache is None else cache
        self.seen_caches.append(cache)
        out = x + sum(cache, torch.zeros(1))
        cache.append(x.clone())
        return out, Opaque(cache)

    def forward(self, x):
        return x * 2

    def deep(self):
        out = []
        for _ in range(300):      # deeper than protocol.MAX_DEPTH: the answer cannot be sent
            out = [out]
        return out


def lent():
    return Served(Accumulator(), ("step", "forward", "deep"), attrs={"size": 3})


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(LIMITS) as sb:
        assert sb.run_cell(STUDENT, 0, 60)["ok"]
        yield sb


def test_calls_run_in_the_parent_and_the_cache_stays_there(sandbox):
    served = lent()
    out, size = sandbox.call("run_steps", (served, 4), {}, timeout=30)
    assert out.tolist() == [0.0, 1.0, 3.0, 6.0] and size == 3
    assert served.calls == {"step": 4, "forward": 0, "deep": 0}
    caches = served._obj.seen_caches
    assert all(c is caches[0] for c in caches[1:])   # the same parent-side list came back each step


def test_the_same_function_works_on_the_local_path():
    namespace: dict = {}
    exec(STUDENT.replace("from arkit.submission import expose", "expose = lambda *a: None"), namespace)
    served = lent()
    out, size = namespace["run_steps"](served, 4)
    assert out.tolist() == [0.0, 1.0, 3.0, 6.0] and served.calls["step"] == 4


@pytest.mark.parametrize("name, words", [("peek", "Handle"), ("forge", "never handed out"), ("private", "_obj")])
def test_the_child_sees_only_handles_and_lent_methods(sandbox, name, words):
    from autograder.grading.sandbox import RemoteError

    with pytest.raises(RemoteError, match=words):
        sandbox.call(name, (lent(),), {}, timeout=30)


def test_a_call_that_times_out_after_a_callback_leaves_the_channel_usable(sandbox):
    from autograder.grading.sandbox import RemoteError

    with pytest.raises(RemoteError, match="CallTimeout"):
        sandbox.call("slow", (lent(),), {}, timeout=2)
    out, _ = sandbox.call("run_steps", (lent(), 2), {}, timeout=30)
    assert out.tolist() == [0.0, 1.0]


def test_a_served_reference_from_the_child_is_refused():
    with pytest.raises(protocol.ProtocolError, match="only travel from the grader"):
        protocol.decode({"__served__": 0, "methods": ["step"], "attrs": None}, [])


def test_a_lent_model_kept_past_its_call_is_gone(sandbox):
    """A stand-in stashed in a global and used in a later call would wait for an answer nobody
    sends (and swallow the next request): it raises instead, and the channel stays usable."""
    from autograder.grading.sandbox import RemoteError

    sandbox.call("keep", (lent(),), {}, timeout=30)
    with pytest.raises(RemoteError, match="lent for one call only"):
        sandbox.call("use_kept", (), {}, timeout=30)
    out, _ = sandbox.call("run_steps", (lent(), 2), {}, timeout=30)
    assert out.tolist() == [0.0, 1.0]


def test_an_answer_the_parent_cannot_send_becomes_an_error_in_the_child(sandbox):
    assert "nested more than" in sandbox.call("call_deep", (lent(),), {}, timeout=30)
    out, _ = sandbox.call("run_steps", (lent(), 2), {}, timeout=30)
    assert out.tolist() == [0.0, 1.0]
