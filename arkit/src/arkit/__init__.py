"""arkit: the student-facing helpers of the autoregressive-models homework.

This is everything a student installs: datasets (train/valid splits only),
a training loop with progress bars, plotting, unit conversions, seeding,
compute profiles and the *public* checks. It deliberately contains no
reference solutions, no hidden tests and no grading thresholds; those live in
the instructor package ``autograder``.

Sub-modules (import what you need)::

    arkit.data       load_dataset(name, split)
    arkit.units      nats <-> bits conversions
    arkit.seeding    seed_everything(seed)
    arkit.profiles   active_profile() -> "ci" | "cpu" | "gpu"
    arkit.training   train_epochs(...)
    arkit.plotting   sample grids, loss curves, heatmaps
    arkit.checks     public checks (autoregressive property, shapes, ...)
"""

__version__ = "0.1.0"
