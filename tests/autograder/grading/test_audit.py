"""The AR-consistency audit catches a model that peeks at the value it predicts."""
import pytest
import torch

from autograder.grading.proxies import ARAuditError, AuditedParamFn, Budget


class LocalSandbox:
    """Stands in for a Sandbox: calls a local function (the wire format is tested elsewhere)."""

    def __init__(self, fn):
        self.fn = fn

    def call(self, name, args, kwargs, timeout):
        with torch.no_grad():
            return self.fn(*args, **kwargs)


def audited(fn):
    return AuditedParamFn(LocalSandbox(fn), "model", {"kind": "param_fn"}, 10, lambda: Budget(60), seed=0)


def flat_honest(x):  # logit d = sum of earlier bits
    return torch.cumsum(x.float(), 1) - x.float()


def flat_peek(x):
    return (2 * x.float() - 1) * 5


def image_honest(x):  # (B, C, H, W) -> (B, 2, H, W): params at pixel p from pixels before p
    B, C, H, W = x.shape
    s = x.float().sum(1).reshape(B, -1)
    prev = torch.cumsum(s, 1) - s
    return torch.stack([prev, -prev], 1).reshape(B, 2, H, W)


def image_peek(x):  # params at pixel p see the whole pixel p (all channels)
    s = x.float().sum(1, keepdim=True)
    return torch.cat([s, -s], 1)


def batch(shape, seed=0):
    return torch.randint(0, 4, shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("shape", [(64, 10), (32, 1, 5, 5), (32, 3, 4, 4)])
def test_honest_models_pass_and_get_their_own_outputs(shape):
    """Does an honest model pass, with outputs equal to a direct call (audit rows removed)?"""
    x = batch(shape)
    fn = flat_honest if len(shape) == 2 else image_honest
    proxy = audited(fn)
    assert torch.allclose(proxy(x), fn(x)) and proxy.audited_rows > 0


@pytest.mark.parametrize("shape", [(64, 10), (32, 1, 5, 5), (32, 3, 4, 4)])
def test_peeking_models_fail(shape):
    fn = flat_peek if len(shape) == 2 else image_peek
    with pytest.raises(ARAuditError, match="not autoregressive"):
        audited(fn)(batch(shape))


def test_nondeterminism_is_named():
    with pytest.raises(ARAuditError, match="not deterministic"):
        audited(lambda x: torch.randn(x.shape))(batch((16, 6)))


def test_wrong_batch_dimension_is_a_clear_error():
    with pytest.raises(ValueError, match="first dimension"):
        audited(lambda x: torch.zeros(3, 6))(batch((16, 6)))


def test_conditional_models_keep_their_labels():
    """Do batch-aligned extra inputs (class labels) follow their rows through the audit, so an
    honest conditional model passes and gets its own outputs?"""
    x, y = batch((32, 1, 5, 5)), torch.arange(32) % 3

    def conditional(xb, yb):
        return image_honest(xb) + yb.float().view(-1, 1, 1, 1)

    proxy = audited(conditional)
    assert torch.allclose(proxy(x, y), conditional(x, y)) and proxy.audited_rows > 0
