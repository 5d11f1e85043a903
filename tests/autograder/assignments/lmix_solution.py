"""Test fixture: the reference solution of notebook 04_logistic_mixtures (from its jupytext source)
and wrong variants of the graded sampler and network."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from solution_cells import load_cells

CELLS = ("lmix_log_prob", "lmix_sampler", "lmix_network", "lmix_losses")


def load_lmix() -> dict:
    """Namespace with logistic_mixture_log_prob, sample_logistic_mixture, ShiftedPixelCNN, mixture_loss, ...
    (``K``, the number of mixture components the losses use, is 2)."""
    return load_cells("04_logistic_mixtures", CELLS, extra={"K": 2})


# ----------------------------------------------------------------------------- wrong samplers
def _logistic(mean, log_scale):
    u = torch.rand(mean.shape).clamp(1e-6, 1 - 1e-6)
    return mean + torch.exp(log_scale.clamp(min=-7.0)) * (torch.log(u) - torch.log1p(-u))


def _to_value(xt):
    return torch.round((xt + 1) * 127.5).clamp(0, 255)


def make_sampler(*, shared_component=True, coupling=True, tanh=True, continuous_coupling=False,
                 use_logits=True, rescale=True):
    """A sampler that is right except for the one switch turned off."""
    def sampler(params, num_mixtures, channels):
        n, k = params.shape[0], num_mixtures
        per = 3 if channels == 3 else 2
        blocks = params[:, k:].reshape(n, channels, per, k)
        logits = params[:, :k] if use_logits else torch.zeros(n, k)
        comp = torch.multinomial(torch.softmax(logits, 1), 1)                          # (n, 1)
        out, scaled = [], []
        for c in range(channels):
            kc = comp if shared_component or c == 0 else torch.multinomial(torch.softmax(logits, 1), 1)
            pick = blocks.gather(3, kc[:, None, None, :].expand(n, channels, per, 1))[..., 0]  # (n, C, per)
            mean = pick[:, c, 0]
            if channels == 3:
                coeffs = torch.tanh(pick[:, :, 2]) if tanh else pick[:, :, 2]          # alpha, beta, gamma
                if coupling and c == 1:
                    mean = mean + coeffs[:, 0] * scaled[0]
                if coupling and c == 2:
                    mean = mean + coeffs[:, 1] * scaled[0] + coeffs[:, 2] * scaled[1]
            xt = _logistic(mean, pick[:, c, 1])
            value = _to_value(xt) if rescale else torch.round(xt.clamp(0, 1) * 255)
            out.append(value.long())
            scaled.append(xt.clamp(-1, 1) if continuous_coupling else value * (2.0 / 255.0) - 1.0)
        return torch.stack(out, 1)
    return sampler


# ----------------------------------------------------------------------------- a leaking network
def leaking_network(ns: dict, **kw) -> torch.nn.Module:
    """ShiftedPixelCNN whose first up-stream conv is not shifted down: it sees its own row, itself included."""
    model = ns["ShiftedPixelCNN"](1, **kw)
    down_shift, right_shift = ns["down_shift"], ns["right_shift"]

    def forward(x):
        h = x.float() * (2.0 / 255.0) - 1.0
        u = model.u0(h)                                     # BUG: no down_shift
        ul = down_shift(model.ul0_up(h)) + right_shift(model.ul0_left(h))
        for conv_u, conv_ul, link in zip(model.u_layers, model.ul_layers, model.links):
            u = u + conv_u(F.elu(u))
            ul = ul + conv_ul(F.elu(ul)) + link(F.elu(u))
        return model.head(F.elu(ul))

    model.forward = forward
    return model
