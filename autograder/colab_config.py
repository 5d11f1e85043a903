"""Where the published kit lives: the one place for repository URL, ref and dates.

Everything that points a student at the repository reads this module:

* the install cell of the Colab notebooks (``autograder colab``),
* the "Open in Colab" badge links (notebooks and course site),
* the course site's switch for publishing solutions (``autograder site``).

Change ``REPO_URL`` / ``REF`` here when the course moves (e.g. a fork for a new
term). The environment variables ``ARKIT_REPO_URL`` and ``ARKIT_REPO_REF``
override them for one build (CI of a fork), and ``SITE_SHOW_SOLUTIONS``
(``1``/``0``) overrides the release date.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

# --- edit these -------------------------------------------------------------
REPO_URL = "https://github.com/ar-kit/autoregressive-homework"
REF = "main"
# Where the Colab solution notebooks are published inside the repository at REF
# (copy out/colab/<assignment>/ there on the release branch or tag).
SOLUTIONS_PUBLISH_DIR = "colab"
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
        """PEP 508 requirement that installs ``arkit`` from the repository at ``ref``."""
        url = self.repo_url if self.repo_url.endswith(".git") else self.repo_url.rstrip("/") + ".git"
        return f"arkit @ git+{url}@{self.ref}#subdirectory=arkit"

    def colab_url(self, path_in_repo: str) -> str:
        """Colab link that opens ``path_in_repo`` (a notebook) from GitHub at ``ref``."""
        owner, repo = self.owner_repo
        path = path_in_repo.lstrip("/")
        return f"https://colab.research.google.com/github/{owner}/{repo}/blob/{self.ref}/{path}"

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
    """Settings from this module, overridden by env vars, overridden by arguments."""
    return PublishConfig(
        repo_url=repo_url or os.environ.get("ARKIT_REPO_URL") or REPO_URL,
        ref=ref or os.environ.get("ARKIT_REPO_REF") or REF,
    )
