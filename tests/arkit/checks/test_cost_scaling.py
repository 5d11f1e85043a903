"""check_cost_scaling: counted work (never timed) tells cached samplers from recomputing ones."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mutants import cached_models as cm

from arkit.checks import WorkCounter, check_cost_scaling
from autograder.reference.models.kv_attention import KVTransformer
from autograder.reference.models.wavenet import WaveNet
from autograder.reference.sampling import sample_fast, sample_naive

B = 2


def uniforms(n):
    return torch.rand(B, n, generator=torch.Generator().manual_seed(n), dtype=torch.float64)


def wavenet_sampler(kind):
    def sampler(n):
        m = WaveNet(n, channels=8)
        if kind == "fast":
            return sample_fast(m.step, uniforms(n))
        if kind == "queue":
            return sample_fast(cm.queue_step(m), uniforms(n))
        if kind == "fast_but_runs_full_network":   # keeps a cache, and re-runs the network anyway
            def step(x_prev, t, cache):
                m(torch.zeros(B, n))
                return m.step(x_prev, t, cache)
            return sample_fast(step, uniforms(n))
        if kind == "step_that_recomputes":         # the step contract, but the cache is the prefix
            def step(x_prev, t, prefix):      # prefix: x_0..x_{t-1}; position t reads x_{t-1}
                prefix = torch.zeros(B, 0) if prefix is None else torch.cat([prefix, x_prev[:, None].float()], 1)
                return m(torch.cat([prefix, torch.zeros(B, 1)], 1))[:, -1], prefix
            return sample_fast(step, uniforms(n))
        return sample_naive(m, uniforms(n))
    return sampler


def attention_sampler(kind):
    def sampler(n):
        m = KVTransformer(n, dim=8, heads=2, layers=1)
        if kind == "fast":
            return sample_fast(m.step, uniforms(n))
        if kind == "cat":
            return sample_fast(cm.cat_kv_step(m), uniforms(n))
        return sample_naive(m, uniforms(n))
    return sampler


def vector_ops_sampler(n):
    """RIGHT, written with per-example matrix-vector products (aten.mv, not in flop_registry)."""
    w = torch.randn(4, 4, generator=torch.Generator().manual_seed(0))
    x = torch.zeros(B, n)
    for t in range(n):
        for b in range(B):
            h = torch.mv(w, torch.full((4,), float(x[b, t - 1]) if t else 0.5))
            x[b, t] = float(h.sum() > 0)
    return x


class Multiscale:
    """Toy multiscale sampler over (1, side, side): one call for the 1x1 start, then 3 calls per
    doubling (the three new pixel groups of Reed et al. 2017) -- or, wrongly, one call per pixel."""

    def __init__(self):
        self.net = torch.nn.Conv2d(1, 1, 3, padding=1)

    def __call__(self, side, per_pixel=False):
        x = (self.net(torch.zeros(B, 1, 1, 1)) > 0).float()
        while x.shape[-1] < side:
            x = F.interpolate(x, scale_factor=2)
            if per_pixel:
                for _ in range(x.shape[-1] ** 2 - (x.shape[-1] // 2) ** 2):
                    x = (self.net(x) > 0).float()
            else:
                for _ in range(3):
                    x = (self.net(x) > 0).float()
        return x


RIGHT = {  # name -> (sampler, sizes, expect, measure)
    "wavenet_ring_buffer": (wavenet_sampler("fast"), (16, 64), "constant"),
    "wavenet_list_queue": (wavenet_sampler("queue"), (16, 64), "constant"),
    "attention_preallocated_kv": (attention_sampler("fast"), (16, 64), "linear"),
    "attention_torch_cat_kv": (attention_sampler("cat"), (16, 64), "linear"),
    "matrix_vector_products": (vector_ops_sampler, (16, 64), "constant"),
}

WRONG = {  # name -> (sampler, sizes, expect, phrase in the message)
    "wavenet_naive_prefix": (wavenet_sampler("naive"), (16, 64), "constant", "recomputes"),
    "cache_kept_but_full_network_each_step": (wavenet_sampler("fast_but_runs_full_network"), (16, 64),
                                              "constant", "recomputes"),
    "step_fn_that_recomputes_the_prefix": (wavenet_sampler("step_that_recomputes"), (16, 64), "constant",
                                           "recomputes"),
    "attention_naive_prefix": (attention_sampler("naive"), (16, 96), "linear", "recomputes"),
    "size_ignored": (lambda n: torch.zeros(B, 16), (16, 64), "constant", "must grow"),
    "numpy_work_is_invisible": (lambda n: torch.as_tensor(np.cumsum(np.ones((B, n)), 1)), (16, 64),
                                "constant", "no work"),
}


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_samplers_pass(name):
    sampler, sizes, expect = RIGHT[name]
    result = check_cost_scaling(sampler, sizes, expect=expect)
    assert result.passed, result.message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_samplers_fail_naming_the_cause(name):
    sampler, sizes, expect, cause = WRONG[name]
    result = check_cost_scaling(sampler, sizes, expect=expect)
    assert not result.passed
    assert cause in result.message, result.message


def test_multiscale_network_calls_are_logarithmic_and_per_pixel_calls_are_not():
    ms = Multiscale()
    ok = check_cost_scaling(ms, (4, 16), expect="log", measure="calls", network=ms.net)
    assert ok.passed, ok.message
    bad = check_cost_scaling(lambda s: ms(s, per_pixel=True), (4, 16), expect="log", measure="calls",
                             network=ms.net)
    assert not bad.passed and "not O(log D)" in bad.message, bad.message


def test_counts_are_deterministic_and_see_products_and_element_ops():
    w, v = torch.randn(3, 5), torch.randn(5, 7)
    with WorkCounter() as c1:
        torch.relu(w @ v)
    with WorkCounter() as c2:
        torch.relu(w @ v)
    assert (c1.flops, c1.elements) == (c2.flops, c2.elements) == (2 * 3 * 5 * 7, 3 * 7)
    with WorkCounter() as c3:                       # matrix-vector products count as products
        torch.mv(w, v[:, 0])
    assert (c3.flops, c3.elements) == (2 * 3 * 5, 0)
