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


def _frame(blob: bytes) -> bytes:
    import struct

    return struct.pack("<I", len(blob)) + blob + struct.pack("<I", 0)


def _recv_bytes_written_by_thread(data: bytes, reader_kw: dict):
    """Feed ``data`` through a pipe from a thread; returns (exception raised by recv, peak bytes traced)."""
    import threading
    import tracemalloc

    r, w = os.pipe()

    def write():
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(w, view[:1 << 16]):]
        except OSError:  # the reader gave up and closed its end
            pass
        finally:
            os.close(w)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    tracemalloc.start()
    try:
        with pytest.raises(protocol.ProtocolError) as info:
            protocol.Reader(r, **reader_kw).recv(timeout=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        os.close(r)
        writer.join(timeout=60)
    return info.value, peak


def test_deeply_nested_answer_is_refused_without_recursion():
    """A header nested 100,000 deep used to raise RecursionError in the parent (an internal
    grader error that cost the student every point): it must be a clean ProtocolError, cheaply."""
    blob = b"[" * 100_000 + b"]" * 100_000
    exc, peak = _recv_bytes_written_by_thread(_frame(blob), {"max_header": protocol.ANSWER_HEADER_BYTES})
    assert "nested" in str(exc) and "levels deep" in str(exc)
    assert peak < 8 << 20, f"parent used {peak >> 20} MiB to refuse a 200 kB answer"


def test_deep_nesting_inside_strings_is_not_counted():
    """Brackets inside strings (printed tensors in cell output) are text, not nesting."""
    r, w = os.pipe()
    try:
        text = "[" * 5000 + '\\" {[' + "]" * 10
        protocol.send(w, {"output": text, "v": [[1], {"a": [2]}]})
        header, _ = protocol.Reader(r, max_header=protocol.ANSWER_HEADER_BYTES).recv(timeout=5)
        assert header["output"] == text and header["v"] == [[1], {"a": [2]}]
        assert protocol.json_depth(b'{"a": [[1, "' + b"[" * 500 + b'"], {"b": "\\"[[["}]}') == 3
    finally:
        os.close(r)
        os.close(w)


def test_huge_header_is_refused_before_it_is_read():
    """A 60 MiB header used to be read and parsed (about 1.5 GB in the parent) before being
    refused: the length alone must decide, and the parent's memory must not grow."""
    blob = b"[" + b"0," * (30 << 20) + b"0]"  # 60 MiB of valid JSON
    exc, peak = _recv_bytes_written_by_thread(_frame(blob), {"max_header": protocol.ANSWER_HEADER_BYTES})
    assert "exceeds the limit" in str(exc) and str(len(blob)) in str(exc)
    assert peak < 1 << 20, f"parent used {peak >> 20} MiB to refuse a 60 MiB header"


def test_sender_refuses_oversized_or_deep_answers_before_writing():
    """The child's own send refuses (ValueError, nothing written) so it can answer with an error."""
    r, w = os.pipe()
    try:
        with pytest.raises(ValueError, match="too large"):
            protocol.send(w, {"value": [0] * (1 << 19)})
        deep: list = []
        for _ in range(protocol.MAX_DEPTH + 5):
            deep = [deep]
        with pytest.raises(ValueError, match="nested"):
            protocol.send(w, {"value": deep})
        protocol.send(w, {"ok": True})
        assert protocol.Reader(r).recv(timeout=5)[0] == {"ok": True}  # nothing else was in the pipe
    finally:
        os.close(r)
        os.close(w)
