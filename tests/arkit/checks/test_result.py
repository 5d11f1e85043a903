"""CheckResult hints, hint levels and combine(): the cause is always shown, the fix only at level 'fix'."""
import pytest

from arkit.checks.result import CheckResult, combine, hint_level, readable_label


def test_fail_keeps_old_signature_and_details():
    r = CheckResult.fail("a.b", "wrong shape", 0.25, coverage=0.5)
    assert (r.passed, r.score, r.message, r.hint, r.details) == (False, 0.25, "wrong shape", "", {"coverage": 0.5})
    r = CheckResult.fail("a.b", "wrong shape", score=0.5, hint="reshape it", offending=[1])
    assert r.hint == "reshape it" and r.details == {"offending": [1]} and r.score == 0.5


def test_positional_constructor_unchanged():
    r = CheckResult("n", False, 0.0, "m", {"k": 1}, None)
    assert r.hint == "" and r.label == "" and r.figure is None


@pytest.mark.parametrize("value,expected", [(None, "cause"), ("", "cause"), ("fix", "fix"), (" FIX ", "fix"),
                                            ("cause", "cause"), ("everything", "cause")])
def test_hint_level_from_env(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("ARKIT_HINT_LEVEL", raising=False)
    else:
        monkeypatch.setenv("ARKIT_HINT_LEVEL", value)
    assert hint_level() == expected


def test_explicit_level_overrides_env(monkeypatch):
    monkeypatch.setenv("ARKIT_HINT_LEVEL", "fix")
    assert hint_level("cause") == "cause"


def test_text_shows_hint_only_at_fix_level():
    r = CheckResult.fail("made_masks.autoregressive", "output 3 sees input 3", hint="use a strict inequality")
    assert "strict" not in r.text("cause")
    assert r.text("fix") == "output 3 sees input 3\nHint: use a strict inequality"
    assert CheckResult.fail("x", "cause only").text("fix") == "cause only"


def test_raise_if_failed_respects_env(monkeypatch):
    r = CheckResult.fail("made_masks.autoregressive", "output 3 sees input 3", hint="use a strict inequality")
    monkeypatch.delenv("ARKIT_HINT_LEVEL", raising=False)
    with pytest.raises(AssertionError) as info:
        r.raise_if_failed()
    assert "output 3 sees input 3" in str(info.value) and "strict" not in str(info.value)
    assert "made_masks." not in str(info.value), "internal dotted key leaked"
    monkeypatch.setenv("ARKIT_HINT_LEVEL", "fix")
    with pytest.raises(AssertionError, match="Hint: use a strict inequality"):
        r.raise_if_failed()
    assert CheckResult.ok("x").raise_if_failed().passed


def test_readable_label():
    assert readable_label("pixelcnn_nll_test.shapes.threshold") == "threshold"
    assert readable_label("made_masks.output_degrees") == "output degrees"
    assert readable_label("plain") == "plain"


def test_combine_keeps_hints_of_failing_parts_only():
    out = combine("q", [CheckResult.fail("q.masks", "mask wrong", hint="fix the mask"),
                        CheckResult("q.shape", True, 1.0, "ok", hint="never shown"),
                        CheckResult.fail("q.nll", "NLL too high", 0.5, hint="train longer")])
    assert not out.passed and out.score == pytest.approx(0.5)
    assert out.hint == "fix the mask; train longer"
    assert "never shown" not in out.hint


def test_combine_message_uses_labels_not_internal_keys():
    out = combine("pixelcnn_nll", [CheckResult.fail("pixelcnn_nll_test.shapes.threshold", "NLL 0.31 nats is above 0.2."),
                                   CheckResult.fail("pixelcnn_nll_test.shapes.samples", "samples look like noise.")])
    assert "pixelcnn_nll_test" not in out.message
    # a part whose message already names it ("samples look ...") is not prefixed again
    assert out.message == "threshold: NLL 0.31 nats is above 0.2; samples look like noise."
    assert ".;" not in out.message


def test_combine_single_failure_is_not_prefixed():
    out = combine("q", [CheckResult.ok("q.a"), CheckResult.fail("q.b_part", "broken.")])
    assert out.message == "broken."


def test_combine_drops_repeated_messages():
    same = [CheckResult.fail(f"q.dtype{i}", "NotImplementedError") for i in range(3)]
    out = combine("q", same)
    assert out.message.count("NotImplementedError") == 1 and "same cause in dtype1, dtype2" in out.message
    out = combine("q", [CheckResult.fail("q.x", "NotImplementedError", label="x"),
                        CheckResult.fail("q.x", "NotImplementedError", label="x")])
    assert out.message.count("NotImplementedError") == 1


def test_combine_all_pass_and_empty():
    assert combine("q", [CheckResult.ok("q.a")]).passed
    assert not combine("q", []).passed


@pytest.mark.parametrize("exc,expected", [(ValueError("bad"), "ValueError: bad"), (NotImplementedError(), "NotImplementedError"),
                                          (NotImplementedError("NotImplementedError: "), "NotImplementedError"),
                                          (KeyError("x"), "KeyError: 'x'")])
def test_exception_text_does_not_repeat(exc, expected):
    from arkit.checks.result import exception_text
    assert exception_text(exc) == expected


def test_combine_says_a_shared_cause_once():
    parts = [CheckResult.fail("q.made(D=12, K=3)", "output x_4 depends on itself. Cause: an output sees its own input"),
             CheckResult.fail("q.made(D=9, K=2)", "output x_3 depends on itself. Cause: an output sees its own input"),
             CheckResult.fail("q.other", "wrong shape")]
    out = combine("q", parts)
    assert out.message.count("an output sees its own input") == 1
    assert "same cause in made(D=9, K=2)" in out.message and "wrong shape" in out.message
