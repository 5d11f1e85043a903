import numpy as np

from arkit import plotting


def test_grid_shape_and_range():
    imgs = np.random.default_rng(0).integers(0, 4, (10, 3, 5, 6))
    grid = plotting.image_grid(imgs, nrow=4, num_values=4)
    assert grid.shape == (3 * 6 - 1, 4 * 7 - 1, 3)
    assert 0.0 <= grid.min() and grid.max() <= 1.0


def test_figures_render_to_png():
    fig = plotting.show_samples(np.zeros((4, 1, 8, 8), dtype=np.uint8), nrow=2, title="x", num_values=2)
    assert plotting.figure_to_png_bytes(fig).startswith(b"\x89PNG")
    fig = plotting.plot_losses([3, 2, 1, 0.5], [3, 1.5, 0.8], title="t")
    assert plotting.figure_to_png_bytes(fig).startswith(b"\x89PNG")
    fig = plotting.plot_distribution(np.full(5, 0.2), data=np.array([0, 1, 1, 4]))
    assert plotting.figure_to_png_bytes(fig).startswith(b"\x89PNG")
    fig = plotting.plot_joint(np.eye(3) / 3, np.eye(3) / 3)
    assert plotting.figure_to_png_bytes(fig).startswith(b"\x89PNG")
