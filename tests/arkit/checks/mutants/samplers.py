"""Samplers under the uniform-draws contract (sampler(u) -> samples shaped like u), on the
reference WaveNet / KV transformer: fast ones WRONG in one named way, or RIGHT but written
differently (naive over the full length instead of prefixes, list queue, torch.cat KV, images)."""
from __future__ import annotations

import torch

from arkit.checks import sample_with_uniforms
from autograder.reference.sampling import sample_fast, sample_naive

from mutants import cached_models as cm

B, D = 6, cm.D
SHAPE = (B, D)


def sharp(m, gain=8.0):
    """Scale the output layer so that the conditionals depend strongly on the history (a random
    initialisation is nearly uniform, and a wrong cache would rarely change a sample)."""
    last = m.out[-1] if isinstance(m.out, torch.nn.Sequential) else m.out
    with torch.no_grad():
        last.weight.mul_(gain)
    return m


def wavenet():
    return sharp(cm.wavenet())


def attention():
    return sharp(cm.attention())


def naive(m):
    return lambda u: sample_naive(m, u)


def naive_full_length(m):
    """RIGHT, different: runs the network on the whole (partly zero) sequence at every step."""
    @torch.no_grad()
    def sampler(u):
        x = torch.zeros(u.shape, dtype=torch.long)
        for t in range(u.shape[1]):
            x[:, t] = sample_with_uniforms(m(x)[:, t], u[:, t])
        return x
    return sampler


def fast(step):
    return lambda u: sample_fast(step, u)


def fast_loop(step, bug=None):
    """A hand-written fast loop (float samples); ``bug`` names one mistake."""
    state = {}

    @torch.no_grad()
    def sampler(u):
        b, d = u.shape
        x = torch.zeros(b, d)
        prev, cache = torch.zeros(b), state.get("cache") if bug == "cache_kept_between_calls" else None
        for t in range(d):
            logits, cache = step(prev, t, cache)
            if bug == "own_randomness":
                x[:, t] = torch.multinomial(torch.softmax(logits, -1), 1)[:, 0].float()
            elif bug == "argmax":
                x[:, t] = logits.argmax(-1).float()
            elif bug == "uniform_of_next_variable":
                x[:, t] = sample_with_uniforms(logits, u[:, min(t + 1, d - 1)]).float()
            elif bug == "one_minus_u":
                x[:, t] = sample_with_uniforms(logits, 1 - u[:, t]).float()
            else:
                x[:, t] = sample_with_uniforms(logits, u[:, t]).float()
            if bug == "feeds_value_before_sampling":
                prev = x[:, t - 1] if t >= 1 else torch.zeros(b)   # off by one: the previous-previous value
            else:
                prev = x[:, t]
            if bug == "cache_kept_between_calls":
                state["cache"] = cache
        if bug == "returns_probabilities":
            return torch.sigmoid(x + 0.5)
        if bug == "flat_shape":
            return x.reshape(-1)
        return x
    return sampler


def batch_mixing_step(m):
    """A WaveNet step whose ring buffers keep example 0's history for every example."""
    def step(x_prev, t, cache):
        logits, cache = m.step(x_prev, t, cache)
        for buf in cache:
            buf[:, t % buf.shape[1]] = buf[:1, t % buf.shape[1]]
        return logits, cache
    return step


def _pair(kind, fast_maker):
    def build():
        m = wavenet() if kind == "wavenet" else attention()
        return naive(m), fast_maker(m)
    return build


RIGHT = {
    "wavenet_reference_fast": _pair("wavenet", lambda m: fast(m.step)),
    "wavenet_list_queue_fast_vs_full_length_naive":
        lambda: (naive_full_length(wavenet()), fast_loop(cm.queue_step(wavenet()))),
    "attention_reference_fast": _pair("attention", lambda m: fast(m.step)),
    "attention_torch_cat_kv_float_samples": _pair("attention", lambda m: fast_loop(cm.cat_kv_step(m))),
}

# name -> (builder, phrase the message must contain)
WRONG = {
    "own_randomness": (_pair("wavenet", lambda m: fast_loop(m.step, "own_randomness")), "own randomness"),
    "argmax": (_pair("wavenet", lambda m: fast_loop(m.step, "argmax")), "ignores the uniforms"),
    "uniform_of_next_variable": (_pair("wavenet", lambda m: fast_loop(m.step, "uniform_of_next_variable")),
                                 "uniform of another variable"),
    "one_minus_u": (_pair("attention", lambda m: fast_loop(cm.cat_kv_step(m), "one_minus_u")),
                    "1 - u"),
    "feeds_stale_value_back": (_pair("wavenet", lambda m: fast_loop(m.step, "feeds_value_before_sampling")),
                               "drifts on its own samples"),
    "cache_mixes_batch": (_pair("wavenet", lambda m: fast(batch_mixing_step(m))), "mixes the examples"),
    "cache_kept_between_calls": (_pair("attention", lambda m: fast_loop(cm.cat_kv_step(m),
                                                                         "cache_kept_between_calls")),
                                 "keeps state between calls"),
    "returns_probabilities": (_pair("wavenet", lambda m: fast_loop(m.step, "returns_probabilities")),
                              "not integers"),
    "flat_shape": (_pair("wavenet", lambda m: fast_loop(m.step, "flat_shape")), "shape of u"),
}
