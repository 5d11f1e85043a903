"""The parent/child wire format never unpickles and refuses non-numbers."""
import io
import os

import numpy as np
import pytest
import torch

from autograder.grading import protocol


def roundtrip(value):
    r, w = os.pipe()
    try:
        arrays = []
        tree = protocol.encode(value, arrays)
        protocol.send(w, {"v": tree}, arrays)
        header, got = protocol.Reader(r).recv(timeout=5)
        return protocol.decode(header["v"], got)
    finally:
        os.close(r)
        os.close(w)


def test_nested_values_come_back_as_fresh_tensors():
    """Do tensors, tuples, dicts and non-finite floats survive the trip unchanged?"""
    x = torch.arange(6.0).reshape(2, 3).requires_grad_()
    out = roundtrip((x, [1, "a", None], {"k": np.int64(3)}, float("inf")))
    assert torch.equal(out[0], x.detach()) and not out[0].requires_grad
    assert out[1] == [1, "a", None] and out[2] == {"k": 3} and out[3] == float("inf")


def test_objects_that_pretend_are_refused():
    """Is an always-equal object (or any non-tensor) refused with its type named?"""
    class Anything:
        def __eq__(self, other):
            return True

    with pytest.raises(TypeError, match="Anything"):
        protocol.encode(Anything(), [])
    with pytest.raises(TypeError, match="object"):
        protocol.encode(np.array([object()]), [])


def test_pickled_arrays_are_refused():
    """Would an .npy carrying a pickle (object dtype) be loaded? It must not."""
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.ProtocolError):
        protocol.load_npy(buf.getvalue())


def test_size_limit_and_timeout():
    """Are oversized answers and silence turned into ProtocolErrors?"""
    r, w = os.pipe()
    try:
        with pytest.raises(protocol.ChannelTimeout):
            protocol.Reader(r).recv(timeout=0.2)
        arrays = []
        protocol.encode(np.zeros(1000), arrays)
        protocol.send(w, {}, arrays)
        with pytest.raises(protocol.ProtocolError, match="limit"):
            protocol.Reader(r, max_bytes=100).recv(timeout=5)
    finally:
        os.close(r)
        os.close(w)
