"""Cached one-step generators (step_fn contract of check_step_consistency) on top of the
reference WaveNet and KV-cache transformer: WRONG in one named way each, or RIGHT but written
differently from the references (list-of-tensors queue, growing torch.cat KV lists, images)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from arkit.checks.orders import raster_order
from autograder.reference.models.kv_attention import KVTransformer
from autograder.reference.models.wavenet import WaveNet

D = 40
DILATIONS = (1, 2, 4, 8)  # receptive field 16 < D: where inputs are read is visible


def wavenet(seed=0):
    return WaveNet(D, channels=12, dilations=DILATIONS, seed=seed)


def attention(seed=0):
    return KVTransformer(D, dim=16, heads=2, layers=2, seed=seed)


# ------------------------------------------------------------------ WaveNet steps
def _gate(conv, res, past, h):
    w = conv.weight
    a, g = (past @ w[:, :, 0].T + h @ w[:, :, 1].T + conv.bias).chunk(2, -1)
    return h + F.linear(torch.tanh(a) * torch.sigmoid(g), res.weight[:, :, 0], res.bias)


def queue_step(m, bug=None):
    """WaveNet step with a Python list per layer used as a FIFO queue of the last d inputs."""
    def step(x_prev, t, cache):
        b = x_prev.shape[0]
        if cache is None:
            extra = {"dilation_off_by_one": 1}.get(bug, 0)
            cache = {"queues": [[torch.zeros(b, m.channels)] * (d + (extra if d == 4 else 0))
                                for d in m.dilations], "last": None}
        h = m.start.expand(b, -1) if t == 0 else m.embed(x_prev.long())
        for conv, res, q in zip(m.convs, m.res, cache["queues"]):
            if bug == "cache_not_shifted":
                past = q[0]                      # reads the oldest entry but never pops it
            elif bug == "write_before_read":
                q.append(h)
                past = q.pop(0) if len(q) == 1 else q[-1]
            else:
                past = q.pop(0)
            if bug != "write_before_read":
                q.append(h)
            h = _gate(conv, res, past, h)
        logits = m.out(h.unsqueeze(-1)).squeeze(-1)
        if bug == "one_step_behind":
            logits, cache["last"] = (cache["last"] if cache["last"] is not None else logits), logits
        return logits, cache
    return step


def bernoulli_step(m):
    """RIGHT: one logit per variable (logit of 1 minus logit of 0), shape (B,)."""
    def step(x_prev, t, cache):
        logits, cache = m.step(x_prev, t, cache)
        return logits[:, 1] - logits[:, 0], cache
    return step


def bernoulli_parallel(m):
    def parallel(x):
        logits = m(x)
        return logits[..., 1] - logits[..., 0]     # (B, D)
    return parallel


# ------------------------------------------------------------------ attention steps
def cat_kv_step(m, bug=None):
    """KV cache as growing lists of keys/values joined with torch.cat."""
    def step(x_prev, t, cache):
        b = x_prev.shape[0]
        cache = [[None, None] for _ in m.blocks] if cache is None else cache
        h = m.start.expand(b, -1) if t == 0 else m.embed(x_prev.long())
        pos = t - 1 if bug == "position_of_previous_step" else t
        h = (h + m.pos[pos]).unsqueeze(1)
        for i, (block, kv) in enumerate(zip(m.blocks, cache)):
            q, k, v = block.qkv(block.ln1(h)).chunk(3, -1)
            k, v = block.split(k), block.split(v)
            old = kv[:]
            kv[0] = k if kv[0] is None else torch.cat([kv[0], k], 2)
            kv[1] = v if kv[1] is None else torch.cat([kv[1], v], 2)
            keys, values = kv
            if bug == "kv_appended_twice":      # the new entry is appended to the cache, then again
                keys, values = torch.cat([kv[0], k], 2), torch.cat([kv[1], v], 2)
            if bug == "stale_kv_entry":         # attends over the cache before the new entry is in
                keys = torch.cat([old[0], torch.zeros_like(k)], 2) if old[0] is not None else torch.zeros_like(k)
                values = torch.cat([old[1], torch.zeros_like(v)], 2) if old[1] is not None else torch.zeros_like(v)
            h = h + block.proj(block.attend(block.split(q), keys, values))
            h = h + block.mlp(block.ln2(h))
        return m.out(m.ln(h))[:, 0], cache
    return step


# ------------------------------------------------------------------ images in raster order
class ColourImage:
    """A WaveNet over (3, H, W) images in colour raster order (R -> G -> B within a pixel):
    parallel output (B, K, 3, H, W), step in generation order."""

    def __init__(self, h=3, w=4):
        self.shape = (3, h, w)
        self.order = raster_order(*self.shape)
        self.model = WaveNet(3 * h * w, channels=12, dilations=DILATIONS)

    def parallel(self, x):
        b = x.shape[0]
        logits = self.model(x.reshape(b, -1)[:, self.order])            # generation order
        out = torch.empty_like(logits)
        out[:, self.order] = logits
        return out.transpose(1, 2).reshape(b, -1, *self.shape)

    def step(self, x_prev, t, cache):
        return self.model.step(x_prev, t, cache)


def _ref(kind):
    m = wavenet() if kind == "wavenet" else attention()
    return m, m.step


def _mut(kind, maker, bug=None):
    def build():
        m = wavenet() if kind == "wavenet" else attention()
        return m, maker(m, bug)
    return build


def _bern():
    m = wavenet()
    return bernoulli_parallel(m), bernoulli_step(m)


RIGHT = {
    "wavenet_ring_buffer_reference": lambda: _ref("wavenet"),
    "wavenet_list_queue": _mut("wavenet", queue_step),
    "wavenet_one_bernoulli_logit": _bern,
    "attention_preallocated_kv_reference": lambda: _ref("attention"),
    "attention_torch_cat_kv": _mut("attention", cat_kv_step),
}

# name -> (builder, phrase the message must contain)
WRONG = {
    "wavenet_cache_not_shifted": (_mut("wavenet", queue_step, "cache_not_shifted"), "stale"),
    "wavenet_write_before_read": (_mut("wavenet", queue_step, "write_before_read"), "stale"),
    "wavenet_dilation_off_by_one": (_mut("wavenet", queue_step, "dilation_off_by_one"), "off by one"),
    "wavenet_one_step_behind": (_mut("wavenet", queue_step, "one_step_behind"), "one step behind"),
    "attention_kv_appended_twice": (_mut("attention", cat_kv_step, "kv_appended_twice"), "appended twice"),
    "attention_stale_kv_entry": (_mut("attention", cat_kv_step, "stale_kv_entry"), "stale"),
    "attention_position_of_previous_step": (_mut("attention", cat_kv_step, "position_of_previous_step"),
                                            "position embedding of the wrong step"),
}
