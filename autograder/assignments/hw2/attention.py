"""Questions of notebook ``03_attention`` (25 points): masked attention and the KV cache.

Every grade function only *calls* the exposed objects with inputs it chooses and decides with
trusted code: ``check_causal_attention_mask``, ``check_autoregressive`` (full path: attention is
not a convolution) plus the held-out audit, the trusted categorical likelihood for held-out NLLs,
``check_step_consistency`` on held-out images, ``check_sampler_equivalence`` against a naive
sampler that the grader runs itself on the exposed model, and ``classify_growth`` on work counts.

Cost without a claim: work done in the student's process is invisible to the parent (a count
reported from there is a claim, as a timing would be). So the cost question lends the student's
``sample_cached(model, u)`` *the grader's own* KV transformer
(:class:`~autograder.reference.models.kv_attention.KVTransformer`, through
:mod:`autograder.grading.served`): every ``model.step`` / ``model(tokens)`` call the sampler makes
runs in the parent, where its work is counted (``WorkCounter``) and its KV cache stays (the
sampler holds a handle). The sampler cannot do the network's work itself (it has no weights), so
the parent's count is the sampler's cost: KV caching gives total work ~D^2 (one position per step,
attending over the cache), re-running the prefix ~D^3.
"""
from __future__ import annotations

import math
import time
from typing import Any, Mapping

import torch

from arkit.checks.cost_scaling import WorkCounter   # bound at import: the parent's own counter
from arkit.checks.result import CheckResult, combine
from autograder.assignments.base import GradingContext, Question, register
from autograder.assignments.spec import ParamFnSpec
from autograder.examples import Mutation

ASSIGNMENT = "hw2"
NOTEBOOK = "03_attention"
SHAPES_SHAPE, COLOR_SHAPE = (1, 20, 20), (3, 20, 20)
CI_MAX_EXAMPLES = 500           # held-out images per threshold evaluation in ci (calibration uses the same)
AR_AUDIT_IMAGES = 32            # held-out images (and their splices) audited for the AR question
MIN_COVERAGE = 0.5              # attention reaches every earlier pixel: coverage ~1 for a real model
STEP_IMAGES = 2                 # held-out images fed through the cached steps
PROBE_WINDOW = 6                # earlier steps the diagnosis changes: its batch is PROBE_WINDOW + 1 and a KV
                                # cache of 400 positions crosses the sandbox boundary at every step
SAMPLER_BATCH = 3               # uniforms (B, 1, 20, 20) for the sampler comparison
# Pixels the student's sampler draws on the grader's transformer for the cost count, per profile (one
# sandbox call each, a callback per model call). Measured: re-running the prefix e = 2.34 at D = 50 -> 200
# and 2.51 at 100 -> 400; the KV cache 1.29 and 1.44 (its O(D E^2) part still dominates at E = 32): limit 2.0.
# u is (COST_BATCH, D), the shape the notebook's public cost check gives the sampler.
COST_SHAPES = {"ci": ((50,), (200,))}
DEFAULT_COST_SHAPES = ((100,), (400,))
COST_BATCH = 2
COST_MODEL = {"dim": 32, "heads": 2, "layers": 2}   # the grader's transformer lent to the sampler

# Trusted declarations. The colour model reads a pixel as one 64-value token and reports the
# per-channel conditionals R, G | R, B | R, G: colour rule "autoregressive" (G may see its own R).
SHAPES_MODEL = ParamFnSpec("attn_shapes_model", "shapes", "categorical", SHAPES_SHAPE)
SHAPES_PARAMS = ParamFnSpec("attn_shapes_params", "shapes", "categorical", SHAPES_SHAPE,
                            same_model_as="attn_shapes_model")
COLOR_PARAMS = ParamFnSpec("attn_color_params", "shapes_color", "categorical", COLOR_SHAPE,
                           color="autoregressive")


def _heldout(dataset: str, n: int) -> torch.Tensor:
    from autograder.heldout import load_heldout

    return torch.as_tensor(load_heldout(dataset).x[:n]).long()


# ----------------------------------------------------------------- 1. mask
def grade_mask(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """The contract of the notebook: diagonal included (inputs shifted right); additive or
    multiplicative convention."""
    from arkit.checks.attention_masks import check_causal_attention_mask

    return check_causal_attention_mask(objects["attn_causal_mask"], diagonal=True, sizes=(1, 2, 5, 16, 33),
                                       name="causal_attention_mask")


# ----------------------------------------------------------------- 2. autoregressive transformer
def check_uses_context(result: CheckResult, name: str = "context") -> CheckResult:
    """Attention reaches every earlier pixel: the share of allowed (output, input) pairs that
    the model depends on must be at least MIN_COVERAGE (a real attention model: ~1)."""
    coverage = result.details.get("coverage")
    if coverage is None:
        return CheckResult.ok(name, "coverage not measured")
    if coverage < MIN_COVERAGE:
        return CheckResult.fail(name, f"the outputs depend on only {coverage:.0%} of the earlier pixels they may "
                                      f"see: masked attention reaches every earlier pixel in one layer (a mask "
                                      f"that blocks most of the past, or attention that is not used?)",
                                hint="query i attends every key j <= i; the attention output must reach the logits",
                                coverage=coverage)
    return CheckResult.ok(name, f"uses {coverage:.0%} of the earlier pixels", coverage=coverage)


def grade_ar(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """check_autoregressive on the full path (1 input, planned cuts: D = 400 through attention),
    the context used, then the trusted audit on held-out images and their splices."""
    from arkit.checks.autoregressive import check_autoregressive
    from autograder.checks.ar_audit import audit_heldout

    model = objects["attn_shapes_model"]
    result = check_autoregressive(model, SHAPES_SHAPE, num_values=2, family="generic",
                                  output_shape=(2, *SHAPES_SHAPE), num_inputs=1, exhaustive=False,
                                  seed=ctx.seed, figure=False, name="transformer.autoregressive")
    if not result.passed:
        return result
    context = check_uses_context(result)
    if not context.passed:
        return context
    audit = audit_heldout(model, SHAPES_MODEL, AR_AUDIT_IMAGES, seed=ctx.seed, name="transformer.on_data")
    if not audit.passed:
        return audit
    result.message += f"; {context.message}; {audit.message}"
    return result


# ----------------------------------------------------------------- 3. held-out NLL
def _threshold(param_fn, ctx: GradingContext, dataset: str) -> CheckResult:
    from autograder.checks.threshold import check_threshold

    result = check_threshold(param_fn, ASSIGNMENT, dataset, "attn_nll_test", "categorical", ctx.profile,
                             max_examples=CI_MAX_EXAMPLES if ctx.profile == "ci" else None, batch_size=100)
    result.label = dataset
    return result


def grade_nll(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Held-out NLL (nats/dim) on shapes and on shapes_color (half the points each)."""
    parts = [_threshold(objects["attn_shapes_params"], ctx, "shapes"),
             _threshold(objects["attn_color_params"], ctx, "shapes_color")]
    result = combine("attn_nll", parts)
    if result.passed:
        result.message = "; ".join(p.message for p in parts)
    return result


# ----------------------------------------------------------------- 4. KV cache
def grade_kv(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Every cached step equals the parallel pass of the same model on held-out images."""
    from arkit.checks.step_consistency import check_step_consistency

    x = _heldout("shapes", STEP_IMAGES)
    return check_step_consistency(objects["attn_shapes_model"], objects["attn_step"], x, num_values=2,
                                  probe_window=PROBE_WINDOW, name="kv_cache")


def naive_sampler(model, guess=None, timings=None):
    """The grader's naive sampler on the exposed image model (B, 1, H, W) -> (B, 2, 1, H, W): pixel t
    is drawn with ``sample_with_uniforms(logits_t, u.flatten()[t])`` from the logits the model gives
    for the pixels drawn before it.

    Computed by verification instead of D sequential calls: start from a guess (the student's
    cached samples for the same ``u``; zeros without one), run the model once on the whole guess
    (teacher forcing) and redraw every pixel; at the first pixel t where a redraw differs from the
    guess, take the redraws from t on as the new guess and run again. Pixels up to t are then exactly
    the naive sampler's (the logits of pixel t depend on pixels < t only: the AR question proves it),
    so the result is the naive sampler's samples after at most D + 1 calls: one call for a correct
    cached sampler, a few for most wrong ones (a fixed-point iteration, as in Jacobi decoding). ``timings["per_call_s"]`` gets the time of one
    model call (the naive sampler's cost per pixel, for the reported speed-up)."""
    from arkit.checks.sampler_equivalence import sample_with_uniforms

    @torch.no_grad()
    def sample(u: torch.Tensor) -> torch.Tensor:
        b = u.shape[0]
        uf = u.reshape(b, -1)
        x = torch.zeros(b, uf.shape[1], dtype=torch.long)
        if guess is not None:
            try:
                g = torch.as_tensor(guess(u.clone())).detach().cpu()
                if g.numel() == x.numel():
                    x = g.reshape(b, -1).round().long().clamp(0, 1)
            except Exception:  # noqa: BLE001  (a broken guess only costs calls)
                pass
        done = 0                                    # pixels < done are the naive sampler's
        while True:
            start = time.perf_counter()
            logits = torch.as_tensor(model(x.reshape(u.shape).clone())).reshape(b, 2, -1).transpose(1, 2)
            if timings is not None:
                timings.setdefault("per_call_s", time.perf_counter() - start)
            redraw = sample_with_uniforms(logits, uf)            # (B, D)
            wrong = (redraw != x)[:, done:].any(0).nonzero()
            if not len(wrong):
                return x.reshape(u.shape)
            t = done + int(wrong[0])
            x[:, t:] = redraw[:, t:]                # pixel t is now right; later redraws are new guesses
            done = t + 1
    return sample


def grade_sampler(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """The student's cached sampler returns exactly the grader's naive samples from the same
    uniforms. The wall-clock speed-up (an estimate: D model calls of the naive sampler, each timed
    by the grader, vs one call of the cached sampler) is reported in ``details``, never graded."""
    from arkit.checks.sampler_equivalence import check_sampler_equivalence

    fast, timings = objects["attn_sample_cached"], {}

    def timed_fast(u):
        start = time.perf_counter()
        try:
            return fast(u)
        finally:
            timings.setdefault("cached_s", time.perf_counter() - start)

    naive = naive_sampler(objects["attn_shapes_model"], guess=fast, timings=timings)
    result = check_sampler_equivalence(naive, timed_fast, (SAMPLER_BATCH, *SHAPES_SHAPE), seed=ctx.seed,
                                       name="cached_sampler")
    if timings.get("cached_s") and timings.get("per_call_s"):
        d = math.prod(SHAPES_SHAPE)
        naive_s = d * timings["per_call_s"]
        result.details["speedup"] = {"batch": SAMPLER_BATCH, "D": d, "cached_s": round(timings["cached_s"], 3),
                                     "naive_s_estimate": round(naive_s, 3),
                                     "ratio": round(naive_s / timings["cached_s"], 2),
                                     "note": "wall clock, reported only; naive = D x one timed model call"}
    return result


class CountedTransformer:
    """The grader's KV transformer as lent to a student's sampler: ``step`` and ``forward`` run here
    (the trusted parent) and add their work (``WorkCounter``: FLOPs + element ops) to ``work``;
    ``covered`` collects the positions whose logits were handed out. The KV cache never leaves:
    the sampler gets a handle (:class:`~autograder.grading.served.Opaque`)."""

    def __init__(self, model, max_batch: int):
        self.model, self.max_batch, self.work, self.covered = model, max_batch, 0, set()
        self._caches: set[int] = set()

    def _batch(self, n: int) -> None:
        """Sizes are the child's choice: more rows than the sampler was asked for are refused
        (they would only make the grader's process work and grow)."""
        if not 1 <= n <= self.max_batch:
            raise ValueError(f"a batch of {n}; the sampler was given {self.max_batch} images")

    def _counted(self, fn, *args):
        with torch.no_grad(), WorkCounter() as counter:
            out = fn(*args)
        self.work += counter.work
        return out

    def step(self, x_prev, t, cache):
        from autograder.grading.served import Opaque

        t = int(t)
        if not 0 <= t < self.model.max_len:
            raise ValueError(f"step t={t} is outside 0..{self.model.max_len - 1}")
        x_prev = torch.as_tensor(x_prev).reshape(-1).long().clamp(0, self.model.num_values - 1)
        self._batch(x_prev.shape[0])
        if cache is not None and id(cache) not in self._caches:
            raise ValueError("the cache must be None (t = 0) or what an earlier step of this model returned")
        logits, cache = self._counted(self.model.step, x_prev, t, cache)
        self._caches.add(id(cache))
        self.covered.add(t)
        return logits, Opaque(cache)

    def forward(self, tokens):
        tokens = torch.as_tensor(tokens).long()
        tokens = tokens.reshape(tokens.shape[0] if tokens.dim() else 1, -1).clamp(0, self.model.num_values - 1)
        self._batch(tokens.shape[0])
        if tokens.shape[1] > self.model.max_len:
            raise ValueError(f"{tokens.shape[1]} tokens; this model takes at most {self.model.max_len}")
        self.covered.update(range(tokens.shape[1]))
        return self._counted(self.model, tokens)


def grade_cost(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """The student's ``sample_cached`` draws sequences of D pixels on the grader's own transformer at
    two sizes (u of shape (2, D), as in the notebook's public check);
    the work that transformer does for it (counted in this process) must grow at most like D^2
    (KV cache), not like D^3 (re-running the prefix): ``classify_growth``."""
    from arkit.checks.cost_scaling import classify_growth
    from autograder.grading.served import Served
    from autograder.reference.models.kv_attention import KVTransformer

    name, sampler, rows = "cost_scaling", objects["attn_sampler"], []
    for shape in COST_SHAPES.get(ctx.profile, DEFAULT_COST_SHAPES):
        d = math.prod(shape)
        counted = CountedTransformer(KVTransformer(d, num_values=2, seed=ctx.seed + d, **COST_MODEL).eval(),
                                     max_batch=COST_BATCH)
        lent = Served(counted, ("step", "forward"), attrs={"num_values": 2, "max_len": d})
        u = torch.rand(COST_BATCH, *shape, generator=torch.Generator().manual_seed(ctx.seed + d),
                       dtype=torch.float64)
        try:
            sampler(lent, u)
        except Exception as exc:  # noqa: BLE001  (the student's sampler, on the grader's model)
            return CheckResult.fail(name, f"sample_cached(model, u) raised {type(exc).__name__}: {str(exc)[:300]} "
                                          f"when given the grader's transformer (u of shape "
                                          f"{(COST_BATCH, *shape)}); it may use model.step, model(tokens), "
                                          f"model.eval() and model.num_values only")
        row = {"size": shape, "D": d, "count": counted.work, "step_calls": lent.calls["step"],
               "forward_calls": lent.calls["forward"]}
        if len(counted.covered) < d:
            return CheckResult.fail(name, f"for a sequence of {d} pixels your sampler asked the model for the "
                                          f"logits of {len(counted.covered)} positions only ({lent.calls['step']} step "
                                          f"calls, {lent.calls['forward']} full passes): it cannot have drawn "
                                          f"every pixel from the model", rows=[row])
        rows.append(row)
    result = classify_growth(rows, expect="linear", name=name)
    calls = "; ".join(f"D={r['D']}: {r['step_calls']} step calls, {r['forward_calls']} full passes" for r in rows)
    result.message = (f"counted in the grader's own transformer lent to your sample_cached ({calls}): "
                      + result.message)
    return result


QUESTIONS = [
    Question("attn_mask_test", NOTEBOOK, 4, ("attn_causal_mask",), grade_mask, "Causal attention mask"),
    Question("attn_ar_test", NOTEBOOK, 4, ("attn_shapes_model",), grade_ar,
             "Pixel transformer: autoregressive and using its context", timeout_s=600.0),
    Question("attn_nll_test", NOTEBOOK, 6, ("attn_shapes_params", "attn_color_params"), grade_nll,
             "Pixel transformer: held-out NLL on shapes and shapes_color", param_fns=(SHAPES_PARAMS, COLOR_PARAMS),
             timeout_s=600.0),
    Question("attn_kv_test", NOTEBOOK, 5, ("attn_shapes_model", "attn_step"), grade_kv,
             "KV cache: every cached step equals the parallel pass"),
    Question("attn_sampler_test", NOTEBOOK, 3, ("attn_shapes_model", "attn_sample_cached"), grade_sampler,
             "KV cache: the cached sampler draws the naive sampler's samples"),
    Question("attn_cost_test", NOTEBOOK, 3, ("attn_sampler",), grade_cost,
             "KV cache: work grows like D^2, not D^3"),
]
for _question in QUESTIONS:
    register(ASSIGNMENT, _question)
assert sum(q.points for q in QUESTIONS) == 25

MUTATIONS = (
    Mutation("attn_pos_wrong_step", NOTEBOOK, "attn_model",
             "h = (h + self.pos[t]).unsqueeze(1)", "h = (h + self.pos[t - 1]).unsqueeze(1)",
             "cached step adds the position embedding of the previous step",
             expect=("attn_kv_test", "first at step 1 of")),   # the diagnosis varies: position or offset
    Mutation("attn_sample_not_fed_back", NOTEBOOK, "attn_sample",
             "prev = out[:, t]", "prev = out[:, t - 1]",
             "cached sampler feeds back the token drawn one step earlier, not the one just drawn",
             expect=("attn_sampler_test", "differ")),
    Mutation("attn_mask_future", NOTEBOOK, "attn_mask",
             'torch.full((n, n), float("-inf")).triu(1)', 'torch.full((n, n), float("-inf")).triu(2)',
             "causal mask one step too wide: query i also attends key i + 1 (its own pixel)",
             expect=("attn_mask_test", "later position")),
)
