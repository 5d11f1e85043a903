"""Homework 1: autoregressive models. Importing this package registers every
question of the four notebooks (one module per notebook)."""
import importlib

for _module in ("warmup", "made", "pixelcnn", "lmix"):
    try:
        importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:  # a notebook's questions not written yet
        if exc.name != f"{__name__}.{_module}":
            raise
