"""Where the published kit lives: the one place for repository URL, refs, install command and dates.

Everything that points a student at the repository reads this module:

* the install cell of the released and the Colab notebooks (``autograder release``,
  ``autograder colab``) and the install command on the course site
  (:meth:`PublishConfig.install_command`), all the same string;
* the "Open in Colab" badge links (notebooks and course site);
* the "How to submit" cell of every notebook (``SUBMIT_TO``);
* the course site's switch for publishing solutions (``autograder site``);
* ``autograder.publish``, which writes the student-facing tree that is pushed to
  ``REPO_URL`` and tagged ``REF``.

The student package is the distribution ``DIST_NAME`` (``import arkit``): the name
``arkit`` on the public index belongs to an unrelated project, so never tell a
student to ``pip install arkit``. Students install it from the tag ``REF`` of the
public repository (a fixed version, never a branch); set ``INSTALL_FROM = "index"``
once the package is uploaded to the index under ``DIST_NAME``.

Change the values here when the course moves (e.g. a fork for a new term). The
environment variables ``ARKIT_REPO_URL`` and ``ARKIT_REPO_REF`` override the URL
and the student ref for one build (CI of a fork), and ``SITE_SHOW_SOLUTIONS``
(``1``/``0``) overrides the release date.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

# --- edit these -------------------------------------------------------------
# The public, student-facing repository (what `autograder.publish` writes; no solutions).
REPO_URL = "https://github.com/ar-kit/autoregressive-homework"
# Distribution name and version of the student package; must equal arkit/pyproject.toml
# (a test checks). Bump ARKIT_VERSION with it for a new release.
DIST_NAME = "arkit-autoregressive-hw"
ARKIT_VERSION = "0.1.0"
# The tag students install from and open notebooks at: a fixed version, never a branch.
REF = f"v{ARKIT_VERSION}"
# The tag that holds the Colab solution notebooks, pushed after SOLUTIONS_RELEASE_DATE
# (`make publish` only includes them from that date on).
SOLUTIONS_REF = f"v{ARKIT_VERSION}-solutions"
# "git": install from the tag REF of REPO_URL; "index": `pip install DIST_NAME==ARKIT_VERSION`.
INSTALL_FROM = "git"
# Where the Colab solution notebooks live inside the repository at SOLUTIONS_REF.
SOLUTIONS_PUBLISH_DIR = "colab"
# What students are told in the "How to submit" cell of every notebook.
SUBMIT_TO = "the course's Gradescope assignment"
# Where the student notebooks live inside the repository (committed, generated).
ASSIGNMENTS_DIR = "assignments"
# Solutions appear on the course site from this date on (ISO, course time zone).
SOLUTIONS_RELEASE_DATE = "2027-03-01"
# -----------------------------------------------------------------------------

COLAB_BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"


@dataclass(frozen=True)
class PublishConfig:
    """Resolved publication settings (see module docstring for the sources)."""

    repo_url: str
    ref: str
    solutions_ref: str = SOLUTIONS_REF
    dist_name: str = DIST_NAME
    version: str = ARKIT_VERSION
    install_from: str = INSTALL_FROM
    solutions_publish_dir: str = SOLUTIONS_PUBLISH_DIR
    assignments_dir: str = ASSIGNMENTS_DIR
    solutions_release_date: dt.date = dt.date.fromisoformat(SOLUTIONS_RELEASE_DATE)

    @property
    def owner_repo(self) -> tuple[str, str]:
        """``('owner', 'repo')`` parsed from a GitHub URL."""
        match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", self.repo_url)
        if not match:
            raise ValueError(
                f"repository URL {self.repo_url!r} is not https://github.com/OWNER/REPO; "
                "Colab badges need a GitHub URL: fix REPO_URL in autograder/colab_config.py "
                "or ARKIT_REPO_URL")
        return match.group(1), match.group(2)

    def pip_requirement(self) -> str:
        """PEP 508 requirement of the student package at its fixed version.

        ``"arkit-autoregressive-hw @ git+https://github.com/OWNER/REPO.git@v0.1.0#subdirectory=arkit"``
        (``install_from == "git"``) or ``"arkit-autoregressive-hw==0.1.0"`` (``"index"``).
        """
        if self.install_from == "index":
            return f"{self.dist_name}=={self.version}"
        if self.install_from != "git":
            raise ValueError(f"INSTALL_FROM={self.install_from!r}: use 'git' or 'index'")
        url = self.repo_url if self.repo_url.endswith(".git") else self.repo_url.rstrip("/") + ".git"
        return f"{self.dist_name} @ git+{url}@{self.ref}#subdirectory=arkit"

    def install_command(self) -> str:
        """The shell command students run to install the kit (quoted for bash and Colab's ``!``)."""
        return f'pip install "{self.pip_requirement()}"'

    def colab_url(self, path_in_repo: str, ref: str | None = None) -> str:
        """Colab link that opens ``path_in_repo`` (a notebook) from GitHub at ``ref`` (default: ``self.ref``)."""
        owner, repo = self.owner_repo
        path = path_in_repo.lstrip("/")
        return f"https://colab.research.google.com/github/{owner}/{repo}/blob/{ref or self.ref}/{path}"

    def solutions_colab_url(self, path_in_repo: str) -> str:
        """Colab link of a solution notebook: at ``solutions_ref``, pushed only after the release date."""
        return self.colab_url(path_in_repo, self.solutions_ref)

    def show_solutions(self, today: dt.date | None = None) -> bool:
        """True when solutions may be published: ``SITE_SHOW_SOLUTIONS`` wins, else the date."""
        forced = os.environ.get("SITE_SHOW_SOLUTIONS", "").strip().lower()
        if forced in ("1", "true", "yes", "on"):
            return True
        if forced in ("0", "false", "no", "off"):
            return False
        if forced:
            raise ValueError(f"SITE_SHOW_SOLUTIONS={forced!r}: use 1 or 0 (or unset it to follow the date)")
        return (today or dt.date.today()) >= self.solutions_release_date


def load_config(repo_url: str | None = None, ref: str | None = None) -> PublishConfig:
    """Settings from this module, overridden by env vars, overridden by arguments.

    An overridden ``ref`` also moves the solutions ref to ``<ref>-solutions``.
    """
    ref = ref or os.environ.get("ARKIT_REPO_REF") or REF
    return PublishConfig(
        repo_url=repo_url or os.environ.get("ARKIT_REPO_URL") or REPO_URL,
        ref=ref,
        solutions_ref=SOLUTIONS_REF if ref == REF else f"{ref}-solutions",
    )
