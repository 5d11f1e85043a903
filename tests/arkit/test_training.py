import math

import pytest
import torch
from torch import nn

from arkit.training import evaluate, train_epochs


class Histogram(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(k))


def nll(model, x):
    return -torch.log_softmax(model.logits, 0)[x].mean()


def test_training_lowers_the_loss_and_records_epochs():
    """Does a histogram fit by the loop approach the data's entropy (nats/dim)?"""
    x = torch.tensor([0] * 80 + [1] * 20)
    model = Histogram(2)
    hist = train_epochs(model, nll, x, x, epochs=30, lr=0.1, batch_size=50, progress=False)
    assert len(hist.test) == 31 and len(hist.train) == 60
    entropy = -(0.8 * math.log(0.8) + 0.2 * math.log(0.2))
    assert hist.test[0] == pytest.approx(math.log(2), abs=1e-6)
    assert hist.test[-1] == pytest.approx(entropy, abs=0.01)


def test_same_seed_same_history():
    x = torch.randint(0, 5, (200,), generator=torch.Generator().manual_seed(0))
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        runs.append(train_epochs(Histogram(5), nll, x, x, epochs=2, batch_size=32, progress=False).train)
    assert runs[0] == runs[1]


def test_nan_loss_is_reported_with_the_step():
    def bad(model, x):
        return model.logits.sum() * float("nan")

    with pytest.raises(FloatingPointError, match="step 0"):
        train_epochs(Histogram(2), bad, torch.zeros(4, dtype=torch.long), torch.zeros(4, dtype=torch.long),
                     epochs=1, progress=False)


def test_max_steps_and_tuple_data():
    x = torch.randint(0, 3, (100,))
    y = torch.zeros(100)
    seen = []

    def loss(model, batch):
        xb, yb = batch
        seen.append(len(xb))
        return nll(model, xb)

    hist = train_epochs(Histogram(3), loss, (x, y), (x, y), epochs=5, batch_size=10, max_steps=7, progress=False)
    assert len(hist.train) == 7
    assert evaluate(Histogram(3), loss, (x, y)) == pytest.approx(math.log(3))
