"""Sphinx settings of the course website. Build it with `make site` (tools/website.py), which
executes the lessons once and lays out the source folder before Sphinx runs."""

import os
import sys
from pathlib import Path

# tools/website.py copies this file into the build folder and says where the repository is.
ROOT = Path(os.environ.get("LRCOURSE_ROOT", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(ROOT / "tools"))
from reach import BRANCH, repository  # noqa: E402

project = "lrcourse"
html_title = "Learning rates, from the first step to real networks"
author = "the lrcourse authors"
copyright = "the lrcourse authors, MIT licence"

extensions = ["myst_nb"]
exclude_patterns = ["**/.ipynb_checkpoints"]
# tools/website.py has already run every lesson once; myst-nb shows the stored outputs as they are.
nb_execution_mode = "off"
# The dashboards are frozen into pictures (tools/website.py), so no page needs the widget scripts,
# which myst-nb would otherwise load from a public CDN.
nb_ipywidgets_js = {}
nb_merge_streams = True
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["lrcourse.css"]
html_js_files = ["lrcourse.js"]
html_copy_source = False        # the executed notebooks are large; the repository has the sources
html_show_sourcelink = False
html_theme_options = {
    "repository_url": repository(),
    "repository_branch": BRANCH,
    "path_to_docs": "",          # the source folder mirrors the repository: notebooks/, exercises/
    "use_repository_button": True,
    "use_download_button": False,  # it would offer the page's source, which the site does not copy
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com",
                       "notebook_interface": "jupyterlab"},
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    # No contents column on the right: the lessons' printed tables and verdicts need the width
    # (the header's "Contents" menu still lists a page's sections).
    "secondary_sidebar_items": [],
}
