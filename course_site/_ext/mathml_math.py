"""Sphinx math renderer that writes MathML at build time (no JavaScript, no CDN).

Why: the default renderer (MathJax) loads a script from a CDN, which fails on
an offline build machine and for offline readers; imgmath needs LaTeX. Every
current browser (Chromium >= 109, Firefox, Safari) renders MathML Core
natively, so we convert LaTeX with the pure-Python ``latex2mathml`` package.

A formula that ``latex2mathml`` cannot convert is shown as its LaTeX source in
``<code class="math-fallback">`` and reported as a Sphinx warning naming the
document, so that a broken formula is visible in the build log and in the
browser test rather than silently missing.
"""
from __future__ import annotations

import html

from docutils import nodes
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)


def latex_to_mathml(latex: str, display: str) -> str | None:
    """MathML for ``latex`` (``display`` is ``'inline'`` or ``'block'``); None if unsupported."""
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display=display)
    except Exception:  # latex2mathml raises many exception types for unsupported input
        return None


def _render(self, latex: str, display: str, node) -> str:
    mathml = latex_to_mathml(latex, display)
    if mathml is None:
        logger.warning("latex2mathml cannot convert %r; shown as LaTeX source", latex, location=node)
        return f'<code class="math-fallback">{html.escape(latex)}</code>'
    return mathml


def visit_math(self, node: nodes.math) -> None:
    self.body.append('<span class="math notranslate">')
    self.body.append(_render(self, node.astext(), "inline", node))
    self.body.append("</span>")
    raise nodes.SkipNode


def visit_math_block(self, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, "Link to this equation")
        self.body.append("</span>")
    for part in node.astext().split("\n\n"):  # Sphinx keeps several equations in one node
        if part.strip():
            self.body.append(_render(self, part, "block", node))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    try:
        import latex2mathml.converter  # noqa: F401
    except ImportError as exc:
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            "the course site renders math with latex2mathml, which is not installed: "
            "pip install latex2mathml (it is pinned in requirements/pins.txt)") from exc
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
