"""nbgrader configuration for instructors (see docs/instructor.md).

`solutions/` is nbgrader's source directory (answers, hidden tests) and `exercises/` its
release directory (what learners get). nbgrader's gradebook lives under build/, which git
ignores; grading runs (`make grade`) use their own course folder inside their output folder.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader)

here = Path(__file__).resolve().parent
c.CourseDirectory.root = str(here)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = f"sqlite:///{here / 'build' / 'gradebook.db'}"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
