"""Public finiteness checks: values and gradients."""
import torch

from arkit.checks.finite import check_finite, check_finite_gradients


def test_finite_values():
    assert check_finite(torch.randn(10)).passed
    res = check_finite(torch.tensor([0.0, float("nan"), -float("inf")]))
    assert not res.passed and "1 NaN" in res.message and "1 -inf" in res.message and "index (1,)" in res.message


def good(x, p):
    return torch.log_softmax(p, -1).gather(-1, x[:, None])[:, 0]


def where_without_clamp(x, p):
    """log(0) in a branch torch.where does not select: finite value, NaN gradient."""
    prob = torch.softmax(p, -1).gather(-1, x[:, None])[:, 0]
    return torch.where(prob > 0.5, torch.log(prob - 0.5), torch.zeros_like(prob) - 1.0)


def test_gradients_finite_for_good_code():
    x = torch.tensor([0, 1, 2])
    assert check_finite_gradients(good, {"x": x, "p": torch.randn(3, 4)}).passed


def test_nan_gradient_through_unselected_where_branch():
    """Does a NaN gradient from an unselected torch.where branch fail with a hint?"""
    x = torch.tensor([0, 1])
    p = torch.tensor([[0.0, 0.0], [0.0, 0.0]])              # prob = 0.5 exactly -> log(0) unselected
    res = check_finite_gradients(where_without_clamp, {"x": x, "p": p})
    assert not res.passed and "torch.where" in res.message


def test_detached_or_unused_inputs_fail():
    x = torch.tensor([0, 1])
    res = check_finite_gradients(lambda x, p: good(x, p).detach(), {"x": x, "p": torch.randn(2, 3)})
    assert not res.passed and "autograd" in res.message
    res = check_finite_gradients(lambda x, p, q: good(x, p), {"x": x, "p": torch.randn(2, 3), "q": torch.randn(2)})
    assert not res.passed and "`q`" in res.message


class _Remote:
    """Stands in for a function running in the grader's sandbox (forward-only, with value_and_grad)."""

    def __init__(self, grads, fn=lambda x, logits: torch.zeros(3)):
        self.grads, self.fn = grads, fn

    def __call__(self, *args):
        return self.fn(*args)

    def value_and_grad(self, *args):
        return self.fn(*args), self.grads


def test_sandboxed_functions_report_their_gradients():
    """Does the check use the gradients a sandboxed function sends back, and catch NaN or missing ones?"""
    inputs = {"x": torch.zeros(3, dtype=torch.long), "logits": torch.zeros(3, 2)}
    ok = check_finite_gradients(_Remote([None, torch.zeros(3, 2)]), inputs)
    assert ok.passed, ok.message
    nan = check_finite_gradients(_Remote([None, torch.full((3, 2), float("nan"))]), inputs)
    assert not nan.passed and "logits" in nan.message and "not finite" in nan.message
    missing = check_finite_gradients(_Remote([None, None]), inputs)
    assert not missing.passed and "no gradient reaches `logits`" in missing.message


def _true_grads(fn, inputs):
    args = {k: v.clone().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    fn(*args.values()).sum().backward()
    return [a.grad for a in args.values()]


def test_fabricated_gradients_are_caught_by_finite_differences():
    """A sandboxed function that reports made-up finite gradients (zeros, or the true ones scaled)
    fails: the parent compares them with finite differences of forward calls it makes itself."""
    inputs = {"x": torch.tensor([0, 1, 2]), "p": torch.randn(3, 4, generator=torch.Generator().manual_seed(0),
                                                           dtype=torch.float64)}
    true = _true_grads(good, inputs)
    assert check_finite_gradients(_Remote(true, good), inputs).passed
    for fake in ([None, torch.zeros(3, 4, dtype=torch.float64)], [None, 3 * true[1]]):
        res = check_finite_gradients(_Remote(fake, good), inputs)
        assert not res.passed and "finite differences" in res.message and "`p`" in res.message


def test_correct_functions_written_differently_agree_with_finite_differences():
    """Kinks (a clamp, as in the log-scale floor), float32 inputs and steep tails are not false failures."""
    g = torch.Generator().manual_seed(1)

    def clamped(x, p):
        return torch.log_softmax(p.clamp(min=-0.5), -1).gather(-1, x[:, None])[:, 0]

    def steep(x, p):
        return torch.nn.functional.logsigmoid((x[:, None].double() - p) * 20.0).sum(-1)

    x = torch.tensor([0, 1, 2, 3])
    for fn, p in ((clamped, torch.randn(4, 5, generator=g)),
                  (clamped, torch.tensor([[-0.5, 0.0, 1.0, -2.0, 0.3]] * 4, dtype=torch.float64)),
                  (good, torch.randn(4, 5, generator=g)),
                  (steep, 3 * torch.randn(4, 5, generator=g, dtype=torch.float64))):
        assert check_finite_gradients(fn, {"x": x, "p": p}).passed
        inputs = {"x": x, "p": p}
        assert check_finite_gradients(_Remote(_true_grads(fn, inputs), fn), inputs).passed
