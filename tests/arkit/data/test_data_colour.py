"""Procedural colouring of grayscale images."""
import numpy as np

from arkit.data.colour import BACKGROUND, FOREGROUND, colourize, random_colours


def test_do_the_endpoints_map_exactly_to_the_two_colours():
    gray = np.array([[[0, 255], [128, 64]]], dtype=np.uint8)
    fg, bg = np.array([[3, 2, 0]]), np.array([[0, 1, 1]])
    out = colourize(gray, fg, bg)
    assert out.dtype == np.uint8 and out.shape == (1, 3, 2, 2)
    assert out[0, :, 0, 0].tolist() == [0, 1, 1] and out[0, :, 0, 1].tolist() == [3, 2, 0]
    expected = np.rint((bg[0] * (255 - 128) + fg[0] * 128) / 255)
    assert out[0, :, 1, 0].tolist() == expected.tolist()


def test_does_every_pair_contrast_by_at_least_two_levels():
    diff = np.abs(FOREGROUND[:, None, :] - BACKGROUND[None, :, :]).max(-1)
    assert diff.min() >= 2 and len(FOREGROUND) == 37 and len(BACKGROUND) == 8


def test_does_chunking_change_nothing():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, size=(50, 5, 5), dtype=np.uint8)
    fg, bg = random_colours(rng, 50)
    np.testing.assert_array_equal(colourize(gray, fg, bg, chunk=7), colourize(gray, fg, bg))
