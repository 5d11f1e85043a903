'''Five independent, correct hw1 solutions (A-E), written the way different students write them.

Each entry is ``grade_id -> (helpers, body)``: ``helpers`` is code the student put above the
released function in the same cell, ``body`` replaces ``# YOUR CODE HERE / raise
NotImplementedError()`` (unindented here). Cells: the histogram loss and sampler, the DMoL
log-likelihood and loss (``01_warmup``) and the MADE masks (``02_made``). The short cells (the
losses) are naturally alike between honest students; the long ones are not.
'''

A = {
    "warmup_histogram_loss": ("", "return F.cross_entropy(model(x), x)"),
    "warmup_sampler": ("", "return torch.multinomial(probs, n, replacement=True, generator=generator)"),
    "warmup_dmol": ("", '''x = x.float().unsqueeze(-1)
centered = x - means
inv_stdv = torch.exp(-log_scales)
plus_in = inv_stdv * (centered + 0.5)
min_in = inv_stdv * (centered - 0.5)
cdf_plus = torch.sigmoid(plus_in)
cdf_min = torch.sigmoid(min_in)
log_cdf_plus = plus_in - F.softplus(plus_in)  # log sigmoid(plus_in): the first bin
log_one_minus_cdf_min = -F.softplus(min_in)  # log(1 - sigmoid(min_in)): the last bin
cdf_delta = cdf_plus - cdf_min
mid_in = inv_stdv * centered
log_pdf_mid = mid_in - log_scales - 2.0 * F.softplus(mid_in)
log_mid = torch.where(cdf_delta > 1e-5, torch.log(torch.clamp(cdf_delta, min=1e-12)), log_pdf_mid)
log_probs = torch.where(x < 0.5, log_cdf_plus, torch.where(x > num_values - 1.5, log_one_minus_cdf_min, log_mid))
return torch.logsumexp(log_probs + F.log_softmax(logits, dim=-1), dim=-1)'''),
    "warmup_dmol_loss": ("", '''logits, means, log_scales = model(x)
return -dmol_log_prob(x, logits, means, log_scales, model.num_values).mean()'''),
    "made_masks": ("", '''order = np.asarray(order).reshape(-1)
D = len(order)
rank = np.empty(D, dtype=int)
rank[order] = np.arange(D)  # rank[v] = when variable v is generated (0-based)
rng = np.random.RandomState(seed) if seed is not None else None
m = [rank]
for h in hidden_sizes:
    lo = m[-1].min()
    if rng is None:
        m.append(lo + np.arange(h) % max(1, D - 1 - lo))
    else:
        m.append(rng.randint(lo, max(D - 1, lo + 1), size=h))
masks = [m[l + 1][:, None] >= m[l][None, :] for l in range(len(hidden_sizes))]
masks.append(m[0][:, None] > m[-1][None, :])
return [torch.from_numpy(mk.astype(np.float32)) for mk in masks]'''),
}

B = {
    "warmup_histogram_loss": ("", '''logits = model(x)
logz = torch.logsumexp(logits, dim=1)
picked = logits[torch.arange(len(x)), x]
return (logz - picked).mean()'''),
    "warmup_sampler": ("", '''cdf = probs.cumsum(0)
cdf = cdf / cdf[-1]
u = torch.rand(n, generator=generator)
idx = torch.searchsorted(cdf, u, right=True)
return torch.clamp(idx, 0, probs.numel() - 1).long()'''),
    "warmup_dmol": ('''def log_sub_exp(a, b):
    """log(exp(a) - exp(b)) for a >= b."""
    return a + torch.log(-torch.expm1(torch.clamp(b - a, max=-1e-12)))

''', '''v = x.to(means.dtype).view(-1, 1)
s = torch.exp(-log_scales)
upper = (v + 0.5 - means) * s
lower = (v - 0.5 - means) * s
upper = torch.where(v >= num_values - 1, torch.full_like(upper, float("inf")), upper)
lower = torch.where(v <= 0, torch.full_like(lower, float("-inf")), lower)
log_bin = log_sub_exp(F.logsigmoid(upper), F.logsigmoid(lower))
log_w = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
return torch.logsumexp(log_w + log_bin, dim=-1)'''),
    "warmup_dmol_loss": ("", '''params = model(x)
lp = dmol_log_prob(x, *params, num_values=model.num_values)
return -(lp.sum() / len(x))'''),
    "made_masks": ("", '''order = [int(v) for v in torch.as_tensor(order).flatten().tolist()]
D = len(order)
in_deg = [0] * D
for k, var in enumerate(order):
    in_deg[var] = k + 1
prev = in_deg
g = torch.Generator().manual_seed(seed) if seed is not None else None
masks = []
for width in hidden_sizes:
    lowest = min(prev)
    if g is None:
        cur = [lowest + (j * max(D - lowest, 1)) // width for j in range(width)]
    else:
        cur = torch.randint(lowest, max(D, lowest + 1), (width,), generator=g).tolist()
    M = torch.zeros(width, len(prev))
    for r in range(width):
        for c in range(len(prev)):
            if cur[r] >= prev[c]:
                M[r, c] = 1.0
    masks.append(M)
    prev = cur
M = torch.zeros(D, len(prev))
for r in range(D):
    for c in range(len(prev)):
        M[r, c] = float(in_deg[r] > prev[c])
masks.append(M)
return masks'''),
}

C = {
    "warmup_histogram_loss": ("", '''out = model(x)
lp = out.log_softmax(-1)
# negative log-likelihood of each observed value
nll = -lp.gather(-1, x.unsqueeze(-1)).squeeze(-1)
return nll.mean()'''),
    "warmup_sampler": ("", '''V = probs.shape[0]
# cumulative sums with a leading zero: value v owns [edges[v], edges[v+1])
edges = torch.zeros(V + 1, dtype=torch.float64)
edges[1:] = torch.cumsum(probs.to(torch.float64), 0)
draws = torch.rand(n, 1, dtype=torch.float64, generator=generator) * edges[-1]
# how many upper edges lie at or below each draw = the sampled value
counts_below = (draws >= edges[None, 1:]).sum(dim=1)
return counts_below.clamp(max=V - 1).to(torch.int64)'''),
    "warmup_dmol": ("", '''K = logits.shape[-1]
weights = torch.softmax(logits, -1)
xf = x.to(means.dtype)
total = torch.zeros(x.shape[0], dtype=means.dtype)
# mixture of the K components' bin masses, one component at a time
for k in range(K):
    mu = means[..., k]
    s = torch.exp(log_scales[..., k])
    hi = torch.sigmoid((xf + 0.5 - mu) / s)
    lo = torch.sigmoid((xf - 0.5 - mu) / s)
    # the first bin starts at -inf and the last one ends at +inf
    hi = torch.where(x == num_values - 1, torch.ones_like(hi), hi)
    lo = torch.where(x == 0, torch.zeros_like(lo), lo)
    total = total + weights[..., k] * (hi - lo)
return torch.log(total.clamp_min(1e-30))'''),
    "warmup_dmol_loss": ("", '''nll = -dmol_log_prob(x, *model(x), model.num_values)
return nll.mean()'''),
    "made_masks": ("", '''order_t = torch.as_tensor(order).long().view(-1)
D = order_t.numel()
# position of each variable in the order, 1-based: the input degrees
degree_in = torch.argsort(order_t) + 1
gen = torch.Generator().manual_seed(seed) if seed is not None else None
layers = [degree_in]
for size in hidden_sizes:
    start = int(layers[-1].min())
    stop = max(D - 1, start)
    if gen is None:
        deg = torch.linspace(start, stop, size).round().long()
    else:
        deg = torch.randint(start, stop + 1, (size,), generator=gen)
    layers.append(deg)
# hidden units see units of smaller or equal degree; outputs only strictly smaller
hidden_masks = [(layers[i + 1].unsqueeze(1) >= layers[i].unsqueeze(0)).float() for i in range(len(hidden_sizes))]
out_mask = (degree_in.unsqueeze(1) > layers[-1].unsqueeze(0)).float()
return hidden_masks + [out_mask]'''),
}

D = {
    "warmup_histogram_loss": ("", '''scores = model(x)
onehot = F.one_hot(x, scores.shape[-1]).to(scores.dtype)
return -(onehot * torch.log_softmax(scores, dim=1)).sum(dim=1).mean()'''),
    "warmup_sampler": ("", '''logp = torch.log(probs.clamp_min(0))
u = torch.rand(n, len(probs), generator=generator).clamp(1e-20, 1.0)
gumbel = -torch.log(-torch.log(u))
return torch.argmax(logp[None, :] + gumbel, dim=1)'''),
    "warmup_dmol": ('''def _log_bin_mass(lo, hi):
    # log(sigmoid(hi) - sigmoid(lo)) for lo < hi, written with softplus
    return torch.log(-torch.expm1(lo - hi)) - F.softplus(-hi) - F.softplus(lo)


def _standardise(t, means, log_scales, shift):
    return (t - means + shift) * (-log_scales).exp()

''', '''t = x.to(means.dtype).reshape(-1, 1)
lo = _standardise(t, means, log_scales, -0.5).masked_fill(t == 0, float("-inf"))
hi = _standardise(t, means, log_scales, 0.5).masked_fill(t == num_values - 1, float("inf"))
comp = _log_bin_mass(lo, hi)
mix = comp + torch.log_softmax(logits, dim=-1)
return mix.logsumexp(dim=-1)'''),
    "warmup_dmol_loss": ("", '''out = model(x)
return torch.mean(-dmol_log_prob(x, out[0], out[1], out[2], model.num_values))'''),
    "made_masks": ('''def _hidden_degrees(width, low, high, rng):
    if rng is None:
        return torch.arange(width) % (high - low + 1) + low
    return torch.randint(low, high + 1, (width,), generator=rng)


def _connect(deg_out, deg_in, strict=False):
    if strict:
        return (deg_out[:, None] > deg_in[None, :]).to(torch.float32)
    return (deg_out[:, None] >= deg_in[None, :]).to(torch.float32)

''', '''perm = torch.as_tensor(order).flatten()
n = len(perm)
pos = torch.zeros(n, dtype=torch.int64)
pos[perm] = torch.arange(n)  # 0-based: variable perm[k] is generated k-th
rng = None if seed is None else torch.Generator().manual_seed(int(seed))
degs, low = [], 0
for w in hidden_sizes:
    d = _hidden_degrees(w, low, max(n - 2, low), rng)
    degs.append(d)
    low = int(d.min())
result, prev = [], pos
for d in degs:
    result.append(_connect(d, prev))
    prev = d
result.append(_connect(pos, prev, strict=True))
return result'''),
}

E = {
    "warmup_histogram_loss": ("", '''loss_fn = nn.CrossEntropyLoss(reduction="none")
per_example = loss_fn(model(x), x.long())
return per_example.sum() / x.shape[0]'''),
    "warmup_sampler": ("", '''seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
rng = np.random.default_rng(seed)
p = probs.detach().double().numpy()
p = p / p.sum()
return torch.from_numpy(rng.choice(len(p), size=n, p=p)).long()'''),
    "warmup_dmol": ("", '''edges = torch.arange(num_values + 1, dtype=means.dtype) - 0.5
mu, ls = means.unsqueeze(-1), log_scales.unsqueeze(-1)
cdf = torch.sigmoid((edges - mu) * torch.exp(-ls))
cdf = torch.cat([torch.zeros_like(cdf[..., :1]), cdf[..., 1:-1], torch.ones_like(cdf[..., :1])], dim=-1)
pmf = (cdf[..., 1:] - cdf[..., :-1]).clamp_min(1e-12)
pmf_mix = (torch.softmax(logits, -1).unsqueeze(-1) * pmf).sum(-2)
if pmf_mix.dim() == 1:
    pmf_mix = pmf_mix.expand(x.shape[0], -1)
return torch.log(pmf_mix.gather(-1, x.view(-1, 1)).squeeze(-1))'''),
    "warmup_dmol_loss": ("", '''lp = dmol_log_prob(x.long(), *model(x), int(model.num_values))
loss = -lp.mean()
return loss'''),
    "made_masks": ("", '''ordering = order.reshape(-1).long() if torch.is_tensor(order) else torch.tensor(list(order))
D = len(ordering)
m_in = torch.empty(D, dtype=torch.long).scatter_(0, ordering, torch.arange(1, D + 1))
generator = torch.Generator()
if seed is not None:
    generator.manual_seed(seed)
connections = []
m_prev = m_in
for hidden in hidden_sizes:
    floor = m_prev.min().item()
    if seed is None:
        m_next = torch.tensor([floor + math.floor(i * (D - floor) / hidden) for i in range(hidden)])
    else:
        m_next = torch.randint(floor, max(D, floor + 1), (hidden,), generator=generator)
    connections.append(torch.ge(m_next.view(-1, 1), m_prev.view(1, -1)).float())
    m_prev = m_next
connections.append(torch.gt(m_in.view(-1, 1), m_prev.view(1, -1)).float())
return connections'''),
}

INDEPENDENT = {"alice": A, "bruno": B, "chen": C, "dana": D, "emil": E}

# A sixth student's own work for three of the four warmup cells: with chen's DMoL cell (renamed) it makes a
# partial copier, whose other cells are honest.
F_OWN = {
    "warmup_histogram_loss": ("", '''logp = F.log_softmax(model(x), dim=1)
idx = x.view(-1, 1)
return -torch.take_along_dim(logp, idx, dim=1).mean()'''),
    "warmup_sampler": ("", '''cum = torch.cumsum(probs, dim=0).tolist()
total = cum[-1]
out = torch.empty(n, dtype=torch.int64)
draws = torch.rand(n, generator=generator).tolist()
for i, r in enumerate(draws):
    target = r * total
    j = 0
    while j < len(cum) - 1 and cum[j] <= target:
        j += 1
    out[i] = j
return out'''),
    "warmup_dmol_loss": ("", "return dmol_log_prob(x, *model(x), model.num_values).neg().mean()"),
}
