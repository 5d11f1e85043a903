"""Reference WaveNet and KV-cache transformer: normalised, causal, cached steps and samplers
that agree with the parallel pass (small sizes; the speed ratio is in bench/bench_sampling.py)."""
import itertools

import pytest
import torch

from arkit.checks import check_sampler_equivalence, check_step_consistency
from autograder.reference.models.kv_attention import KVTransformer
from autograder.reference.models.wavenet import WaveNet, dilations_for, receptive_field
from autograder.reference.sampling import sample_fast, sample_naive

MODELS = {"wavenet": lambda d: WaveNet(d, channels=8), "kv_transformer": lambda d: KVTransformer(d, dim=8)}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_log_prob_sums_to_one_over_all_sequences(kind):
    model = MODELS[kind](5)
    x = torch.tensor(list(itertools.product([0, 1], repeat=5)))
    with torch.no_grad():
        total = torch.logsumexp(model.log_prob(x), 0)
    assert abs(float(total)) < 1e-5


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_output_t_does_not_depend_on_x_t_or_later(kind):
    model = MODELS[kind](12)
    x = torch.randint(0, 2, (1, 12))
    with torch.no_grad():
        base = model(x)
        for t in range(12):
            y = x.clone()
            y[0, t] = 1 - y[0, t]
            assert torch.allclose(model(y)[0, : t + 1], base[0, : t + 1])


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_cached_steps_and_fast_sampler_agree_with_the_parallel_pass(kind):
    model = MODELS[kind](24)
    assert check_step_consistency(model, model.step, torch.randint(0, 2, (3, 24))).passed
    result = check_sampler_equivalence(lambda u: sample_naive(model, u), lambda u: sample_fast(model.step, u),
                                       (4, 24))
    assert result.passed, result.message


def test_default_dilations_cover_the_sequence():
    for d in (2, 16, 17, 784):
        assert receptive_field(WaveNet(d, channels=2)) >= d
    assert dilations_for(784) == tuple(2 ** i for i in range(10))
