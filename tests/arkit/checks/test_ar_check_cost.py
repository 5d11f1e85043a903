"""What the full path of ``check_autoregressive`` computes, counted (deterministic, no clock): the
gradient union costs what ``torch.func.jacrev`` costs on the same inputs, and the whole check adds
one forward pass per cut and nothing else (docs/design.md: the floor while the union and the
exhaustive cuts are both kept)."""
import torch

from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.cost_scaling import WorkCounter
from arkit.checks.probe import ModelProbe
from autograder.reference.models import MADE


def _flops(fn) -> int:
    with WorkCounter() as counter:
        fn()
    return counter.flops


def test_full_path_costs_the_jacobian_union_plus_one_forward_per_cut():
    torch.manual_seed(0)
    d = 64
    model = MADE(d, [96, 96], num_values=2).eval()
    probe = ModelProbe(model, (d,), 2)
    xs = probe.sample(4, 0)[0].float()                       # the check's 4 test inputs (D <= 256)
    f = lambda v: model(v.view(1, d)).sum(-1).view(d)        # noqa: E731
    jac = _flops(lambda: [torch.func.jacrev(f)(x) for x in xs])
    forward = _flops(lambda: model(xs[:1]))
    result = check_autoregressive(model, (d,), figure=False)
    assert result.passed and result.details["cuts"] == d
    ours = _flops(lambda: check_autoregressive(model, (d,), figure=False))
    bases = 2                                                # cut bases when D <= 256
    floor = jac + bases * d * forward
    assert ours >= floor                                     # the union and every cut really run
    # This MADE has a dead prefix (outputs 1-4 see no input, as too few hidden degrees allow):
    # only those rows are asked about again at 16 more inputs (it was every row: 4.4x jac more).
    assert result.details["dead_outputs"] == [1, 2, 3, 4]
    assert ours <= floor + 0.5 * jac, (ours, jac, forward)
