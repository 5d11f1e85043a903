"""check_fisher_scores: per-example gradients of log p, against scores wrong in one named way
(batch-summed, loss-averaged, wrong sign, bits, per dimension, transposed, reordered) and right
ones written differently (loop of autograd.grad, torch.func vmap/jacrev, backward + .grad)."""
import math

import pytest
import torch

from autograder.checks.fisher import check_fisher_scores
from autograder.reference.models.made import MADE
from autograder.reference.models.wavenet import WaveNet

D, B = 6, 4


def made_log_prob(model, x):
    """(B,) nats: Bernoulli-categorical MADE likelihood."""
    logp = torch.log_softmax(model(x.float()), -1)
    return logp.gather(-1, x.long().unsqueeze(-1)).squeeze(-1).sum(-1)


def made():
    torch.manual_seed(0)
    return MADE(D, [8], num_values=2)


def data():
    return torch.randint(0, 2, (B, D), generator=torch.Generator().manual_seed(1))


def params(model):
    return [p for p in model.parameters() if p.requires_grad]


def loop_grad(model, x, log_prob=made_log_prob):
    rows = []
    for i in range(x.shape[0]):
        grads = torch.autograd.grad(log_prob(model, x[i:i + 1]).sum(), params(model))
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    return torch.stack(rows)


def func_vmap(model, x):
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    theta = {n: p.detach() for n, p in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def one(theta, xi):
        return made_log_prob_functional(model, theta, buffers, xi)

    grads = torch.func.vmap(torch.func.grad(one), in_dims=(None, 0))(theta, x)
    return torch.cat([grads[n].reshape(x.shape[0], -1) for n in names], 1)


def made_log_prob_functional(model, theta, buffers, xi):
    out = torch.func.functional_call(model, (theta, buffers), (xi[None].float(),))
    return torch.log_softmax(out, -1)[0].gather(-1, xi.long()[:, None]).sum()


def backward_and_dot_grad(model, x):
    rows = []
    for i in range(x.shape[0]):
        model.zero_grad()
        made_log_prob(model, x[i:i + 1]).sum().backward()
        rows.append(torch.cat([p.grad.reshape(-1).clone() for p in params(model)]))
    model.zero_grad()
    return torch.stack(rows)


def jacobian_of_log_prob_vector(model, x):
    """The (B, P) Jacobian of the (B,) vector of log-likelihoods: rows are per-example already."""
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    theta = {n: p.detach() for n, p in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def log_probs(theta):
        out = torch.func.functional_call(model, (theta, buffers), (x.float(),))
        return torch.log_softmax(out, -1).gather(-1, x.long()[..., None]).squeeze(-1).sum(-1)

    jac = torch.func.jacrev(log_probs)(theta)
    return torch.cat([jac[n].reshape(x.shape[0], -1) for n in names], 1)


RIGHT = {"loop_autograd_grad": loop_grad, "torch_func_vmap": func_vmap,
         "backward_and_grad_attribute": backward_and_dot_grad, "jacrev_of_log_prob_vector": jacobian_of_log_prob_vector}


def batch_summed(model, x):
    grads = torch.autograd.grad(made_log_prob(model, x).sum(), params(model))
    return torch.cat([g.reshape(-1) for g in grads])


def loss_averaged(model, x):
    grads = torch.autograd.grad(-made_log_prob(model, x).mean(), params(model))
    return torch.cat([g.reshape(-1) for g in grads])


WRONG = {  # name -> (fn, phrase)
    "batch_summed_vector": (batch_summed, "batch-summed"),
    "loss_averaged_vector": (loss_averaged, "averaged over the batch"),
    "batch_sum_repeated_per_row": (lambda m, x: batch_summed(m, x).expand(x.shape[0], -1), "every row is the same"),
    "wrong_sign": (lambda m, x: -loop_grad(m, x), "wrong sign"),
    "divided_by_batch_size": (lambda m, x: loop_grad(m, x) / x.shape[0], "divided by the batch size"),
    "per_example_loss_of_batch_mean": (lambda m, x: -loop_grad(m, x) / x.shape[0], "batch-averaged loss"),
    "nats_per_dim": (lambda m, x: loop_grad(m, x) / D, "per dimension"),
    "bits": (lambda m, x: loop_grad(m, x) / math.log(2), "bits"),
    "transposed": (lambda m, x: loop_grad(m, x).T, "transposed"),
    "first_layer_only": (lambda m, x: loop_grad(m, x)[:, :10], "include every parameter"),
    "parameters_reversed": (lambda m, x: torch.cat([loop_grad(m, x)[:, -20:], loop_grad(m, x)[:, :-20]], 1),
                            "another order"),
}


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_fisher_scores_pass(name):
    result = check_fisher_scores(RIGHT[name], made(), data(), log_prob=made_log_prob)
    assert result.passed, result.message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_fisher_scores_fail_naming_the_cause(name):
    fn, cause = WRONG[name]
    result = check_fisher_scores(fn, made(), data(), log_prob=made_log_prob)
    assert not result.passed
    assert cause in result.message, result.message


def test_a_function_that_trains_the_model_is_caught():
    def steps(model, x):
        scores = loop_grad(model, x)
        with torch.no_grad():
            for p in params(model):
                p.add_(0.1)
        return scores

    result = check_fisher_scores(steps, made(), data(), log_prob=made_log_prob)
    assert not result.passed and "changed the model's parameters" in result.message


def test_default_log_prob_is_model_log_prob():
    model = WaveNet(D, channels=4, dilations=(1, 2, 4))
    x = data()
    assert check_fisher_scores(lambda m, v: loop_grad(m, v, lambda mm, vv: mm.log_prob(vv)), model, x).passed
