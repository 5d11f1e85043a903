"""What a notebook hands to the grader.

Notebook cells written by the instructor (locked cells) call :func:`expose`
after defining or training something the grader must look at::

    expose("made_masks", made_masks)                      # a student function
    expose("made_mnist", lambda x: model(x), kind="param_fn",
           dataset="mnist_binary", likelihood="bernoulli") # a trained model

The registry only stores references. Grading code (the instructor package)
reads it, either inside the notebook's kernel (nbgrader hidden tests) or from
a separate trusted process that calls the exposed objects with inputs it
chooses (the sandboxed grading pipeline). Nothing here grades anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Exposed:
    """One exposed object: ``obj`` plus free-form metadata (``kind``, ``dataset``, ...)."""

    name: str
    obj: Any
    meta: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, Exposed] = {}


def expose(name: str, obj: Any, **meta: Any) -> Any:
    """Register ``obj`` under ``name`` for grading and return it unchanged.

    Re-exposing a name replaces the earlier object (re-running a cell is fine).
    """
    if not isinstance(name, str) or not name:
        raise ValueError("expose() needs a non-empty string name")
    _REGISTRY[name] = Exposed(name, obj, dict(meta))
    return obj


def exposed() -> dict[str, Exposed]:
    """A shallow copy of the registry: name -> :class:`Exposed`."""
    return dict(_REGISTRY)


def get(name: str) -> Any:
    """The object exposed under ``name``; ``KeyError`` with a helpful message if absent."""
    try:
        return _REGISTRY[name].obj
    except KeyError:
        have = ", ".join(sorted(_REGISTRY)) or "nothing"
        raise KeyError(
            f"nothing was exposed as {name!r} (exposed so far: {have}); "
            "run the notebook cells above this one, in order"
        ) from None


def clear() -> None:
    """Forget everything exposed (used between notebooks and in tests)."""
    _REGISTRY.clear()
