"""The rules of docs/experiments.md that a test can check across every lesson."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "tools" / "notebooks").glob("*.py"))
PROSE = SOURCES + [ROOT / "tools" / "exercises.py", ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Phrases that promise a run time nobody measured (rule 6).
UNMEASURED_TIME = re.compile(r"\b(in (a few |mere |just )?seconds|(well |just )?under (a|one) minute|in no time|instantly)\b",
                             re.IGNORECASE)
# A seed typed into a lesson instead of taken from lrc.sweeps.seeds (rule 2).
FIXED_SEED = re.compile(r"(manual_seed|default_rng)\(\s*\d+\s*\)")


@pytest.mark.parametrize("path", PROSE, ids=lambda p: p.name)
def test_no_unmeasured_timing_claims(path):
    hits = [m.group(0) for m in UNMEASURED_TIME.finditer(path.read_text())]
    assert not hits, f"{path.name} promises a run time: {hits} (measure it with benchmarks/ or drop it)"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_random_lessons_take_their_seeds_from_sweeps_seeds(path):
    text = path.read_text()
    typed = FIXED_SEED.findall(text)
    assert not typed, f"{path.name} types a seed ({typed}); take it from lrc.sweeps.seeds(n)"
    if "VERDICT" in text and re.search(r"seed|Noisy|random", text):
        assert "sweeps.seeds" in text, f"{path.name} prints verdicts on random experiments but never calls sweeps.seeds"


def _notebook(path, source):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)
    return path


def _check(path, *seeds):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "check_verdicts.py"), str(path),
                           "--seeds", *map(str, seeds)], capture_output=True, text=True, timeout=300)


def test_check_verdicts_reports_a_verdict_that_flips_with_the_seed(tmp_path):
    nb = _notebook(tmp_path / "parity.ipynb",
                   "import lrcourse as lrc\n"
                   "s = int(lrc.sweeps.seeds(1)[0])\n"
                   "print('evidence:', s)\n"
                   "print('VERDICT: the seed is', 'even' if s % 2 == 0 else 'odd')")
    flipped = _check(nb, 0, 1)
    assert flipped.returncode == 1, flipped.stdout + flipped.stderr
    assert "FLIPPED at seed 1" in flipped.stdout and "odd" in flipped.stdout
    stable = _check(nb, 0, 2)
    assert stable.returncode == 0, stable.stdout + stable.stderr
    assert "VERDICT: the seed is even" in stable.stdout
