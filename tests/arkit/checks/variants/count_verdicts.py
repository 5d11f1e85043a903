"""Verdict counts of the validity suite (issue 10 closing note): false failures (a correct variant
fails) and misses (a wrong variant passes, or fails with another cause).

Run from the repository root: ``.venv/bin/python tests/arkit/checks/variants/count_verdicts.py``.
Measured on 2026-12-01: before the issue-10 changes 10 false failures of 185 correct variants and
8 misses of 12 wrong ones; after: 0 and 0."""
import sys, torch, inspect
sys.path.insert(0, "tests/arkit/checks"); sys.path.insert(0, "tests/autograder/checks")
torch.set_num_threads(1)
from variants import made_random, mask_bugs
from variants.attention_image import CausalAttentionImage
from variants.colour_independence import ColourPixelCNN
from variants.gated_layouts import BLIND, LAYOUTS, LayoutGated
from variants.public_bugs import SwappedLayoutPixelCNN, sign_flipped_history
from variants_likelihood import own_dmol, own_lmix
from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.masks import check_made_masks, check_pixelcnn_mask
from autograder.checks.likelihood import check_dmol_log_prob, check_logistic_mixture_log_prob
import arkit.checks as ac
NEW = "channels" in inspect.signature(check_autoregressive).parameters
ff, miss, right, wrong = [], [], 0, 0
def R(name, res):
    global right
    right += 1
    if not res.passed: ff.append((name, res.message[:120]))
def W(name, res, cause):
    global wrong
    wrong += 1
    if res is None or res.passed or cause not in res.message: miss.append((name, None if res is None else res.message[:120]))
for fac in (1, 2):
    for seed in range(20):
        configs = [(torch.randperm(n, generator=torch.Generator().manual_seed(seed)), [fac * n] * l) for n in (6, 12, 30) for l in (1, 2, 3)]
        R(f"made_masks w={fac}D s={seed}", check_made_masks(made_random.seeded(seed), configs))
        for D in (5, 8, 12):
            order = torch.randperm(D, generator=torch.Generator().manual_seed(seed))
            m = made_random.RandomDegreeMade(D, order, fac * D, num_values=3, seed=seed)
            R(f"made D={D} w={fac}D s={seed}", check_autoregressive(m, (D,), order=order, num_values=3, family="made", figure=False))
for name, kw in LAYOUTS.items():
    for L in (2, 6):
        for s in (10, 20):
            R(f"gated {name} L={L} {s}", check_autoregressive(LayoutGated(L, 3, **kw), (1, s, s), family="gated", figure=False))
for s in (6, 10):
    R(f"attention {s}", check_autoregressive(CausalAttentionImage(s, s), (1, s, s), family="gated", figure=False))
kw_i = {"channels": "independent"} if NEW else {}
kw_a = {"channels": "autoregressive"} if NEW else {}
R("colour independent (asked independent)", check_autoregressive(ColourPixelCNN(True), (3, 8, 8), num_values=4, figure=False, **kw_i))
R("colour AR (asked AR)", check_autoregressive(ColourPixelCNN(False), (3, 8, 8), num_values=4, figure=False, **kw_a))
from autograder.reference.models import GatedPixelCNN
for L, s in ((8, 16), (10, 28)):
    torch.manual_seed(0)
    R(f"reference gated L={L} {s}x{s}", check_autoregressive(GatedPixelCNN(hidden=16, kernel_size=3, num_layers=L), (1, s, s), family="gated", figure=False))
R("gated split_conv_masked L=8 16x16", check_autoregressive(LayoutGated(8, 3, **LAYOUTS["split_conv_masked"]), (1, 16, 16), family="gated", figure=False))
R("own dmol", check_dmol_log_prob(own_dmol.log_space)); R("own lmix", check_logistic_mixture_log_prob(own_lmix.clamped))
for name, L in (("staircase", 6), ("centre_only", 2), ("centre_only", 6)):
    W(f"blind {name} L={L}", check_autoregressive(LayoutGated(L, 3, **BLIND[name]), (1, 10, 10), family="gated", figure=False), "blind spot")
W("colour independent when AR asked", check_autoregressive(ColourPixelCNN(True), (3, 8, 8), num_values=4, figure=False, **kw_a), "same pixel")
W("colour AR when independent asked", check_autoregressive(ColourPixelCNN(False), (3, 8, 8), num_values=4, figure=False, **kw_i) if NEW else None, "same pixel")
W("mask leaks rows below in a later config", check_pixelcnn_mask(mask_bugs.one_row_below), "future row")
W("made_masks list-only, tensor order", check_made_masks(mask_bugs.list_only_made_masks, order_type=torch.tensor), "int64 tensor")
W("swapped (B,C,K,H,W) layout", check_autoregressive(SwappedLayoutPixelCNN(), (3, 8, 8), num_values=4, figure=False, **({"output_shape": (4, 3, 8, 8)} if NEW else {})), "(B, C, K, H, W)")
W("sign-flipped loss -30 nats/dim", ac.check_nll_plausible(sign_flipped_history()[1][-1], num_values=20) if hasattr(ac, "check_nll_plausible") else None, "sign")
W("dmol summed components", check_dmol_log_prob(own_dmol.summed_components), "summed the K components")
W("dmol float32 1-sigmoid cancellation", check_dmol_log_prob(own_dmol.float32_cancel), "cancel")
W("lmix without log-scale clamp", check_logistic_mixture_log_prob(own_lmix.unclamped), "not clamped at -7")
print(f"RIGHT variants: {right}, false failures: {len(ff)}")
for f in ff: print("  FF", f)
print(f"WRONG variants: {wrong}, misses (passed or wrong cause): {len(miss)}")
for m in miss: print("  MISS", m)
