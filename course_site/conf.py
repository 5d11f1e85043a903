"""Sphinx configuration of the course site. Build it with ``make site`` (``autograder site``).

``autograder site`` copies this folder to a staging folder, adds the generated
figures, notebook lists and (after the release date) the solution notebooks,
then runs Sphinx there; running ``sphinx-build`` on this folder directly misses
those generated parts.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

project = "Autoregressive models"
author = "Course staff"
copyright = "the course staff; text CC BY 4.0, code MIT"

extensions = ["myst_nb", "mathml_math"]
html_math_renderer = "mathml"  # server-side MathML, see _ext/mathml_math.py

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"          # notebooks are rendered as they are; never executed here
nb_merge_streams = True

exclude_patterns = ["_build", "_ext", "README.md", "**/_*.md", "assignments/files/**", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header"]  # notebooks start with a Colab badge before their title

html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_title = project
html_favicon = "_static/favicon.svg"
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {
    "description": "Lecture notes and Homework 1: the chain rule, MADE, PixelCNN, logistic mixtures",
    "fixed_sidebar": True,
    "show_powered_by": False,
    "page_width": "1100px",
    "sidebar_width": "250px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
