"""One compute thread per kernel unless the learner asks for more (lrcourse.threads)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lrcourse as lrc
from lrcourse import threads

ROOT = Path(__file__).resolve().parents[1]
VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def fresh_python(code: str, **env) -> dict:
    """Run ``code`` in a new interpreter with the thread variables removed, then ``env`` set;
    the code prints one JSON object."""
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES + (threads.ENV,)}
    clean.update(env)
    out = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


PROBE = """
import json, numpy, torch                       # both loaded before lrcourse, as in most notebooks
import lrcourse as lrc
from threadpoolctl import threadpool_info
from lrcourse import plotting
blas = sorted({i["num_threads"] for i in threadpool_info()})
print(json.dumps({"count": lrc.threads.count(), "torch": torch.get_num_threads(), "blas": blas,
                  "png": plotting._workers(), "env": __import__("os").environ.get("OMP_NUM_THREADS")}))
"""


def test_import_sets_one_thread_everywhere_even_after_numpy_and_torch():
    got = fresh_python(PROBE)
    assert got == {"count": 1, "torch": 1, "blas": [1], "png": 1, "env": "1"}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell 2 threads from 1")
def test_the_environment_variable_asks_for_more():
    got = fresh_python(PROBE, LRCOURSE_THREADS="2")
    assert got == {"count": 2, "torch": 2, "blas": [2], "png": 2, "env": "2"}


def test_a_thread_count_chosen_for_the_libraries_is_respected():
    got = fresh_python(PROBE, OMP_NUM_THREADS="2")
    assert got["count"] == 2 and got["torch"] == 2


def test_use_changes_the_running_kernel_and_returns_the_old_value():
    torch = pytest.importorskip("torch")
    before = threads.count()
    try:
        assert threads.use(2) == before
        assert threads.count() == 2 and torch.get_num_threads() == 2 and os.environ["OMP_NUM_THREADS"] == "2"
    finally:
        threads.use(before)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_a_bad_count_is_refused_with_its_name_and_range(bad):
    with pytest.raises(ValueError, match=r"n must be a whole number of threads, at least 1"):
        threads.use(bad)


def test_a_bad_environment_value_names_the_variable():
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    out = subprocess.run([sys.executable, "-c", "import lrcourse"], env={**clean, threads.ENV: "many"},
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode != 0 and "LRCOURSE_THREADS must be a whole number of threads, at least 1" in out.stderr


def test_lesson_00_says_how_to_change_it():
    text = (ROOT / "tools" / "notebooks" / "00_start_here.py").read_text()
    assert "lrc.threads.use(" in text and "LRCOURSE_THREADS" in text and "lrc.threads.count()" in text
    assert lrc.threads is threads
