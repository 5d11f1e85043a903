import pytest

from arkit import submission


def test_expose_and_get():
    submission.clear()
    f = submission.expose("made_masks", len, kind="fn")
    assert f is len
    assert submission.get("made_masks") is len
    assert submission.exposed()["made_masks"].meta == {"kind": "fn"}


def test_missing_name_explains_what_to_do():
    submission.clear()
    submission.expose("a", 1)
    with pytest.raises(KeyError, match="run the notebook cells above"):
        submission.get("b")
