"""The spawner of the course's JupyterHub: one JupyterLab server per learner, in a folder of its
own that holds the learner's copy of the lessons and exercises, limited in CPU and memory.

It is JupyterHub's ``SimpleLocalProcessSpawner`` (each server is a process on this machine, as
the account that runs the hub), with three additions:

- **A copy of the course** in the learner's folder (``notebooks/``, ``exercises/``, ``data``
  the notebooks read): copied at the first start; at later starts only files that are missing
  are copied, so a learner's own work is never overwritten.
- **Limits** that JupyterHub's local spawners accept (``mem_limit``, ``cpu_limit``) but do not
  enforce: here the server and every kernel it starts run in a control group with that much
  memory and CPU time (cgroup v1, or a cgroup v2 tree this process may write to). Where no
  control group can be made (not root, no delegation) the hub says so once in its log and runs
  without limits.
- **One compute thread per kernel** (``LRCOURSE_THREADS=1`` and the usual OMP/MKL/OpenBLAS
  variables): see lrcourse/threads.py.

Processes of different learners are not isolated from one another (same account): this is for
a room of people who trust each other. For isolation, run one account per learner (The
Littlest JupyterHub) or one container per learner (Zero to JupyterHub); see deploy/README.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import List, Unicode

#: The folders of the repository a learner gets a copy of.
COURSE_PARTS = ["notebooks", "exercises"]


def copy_missing(source: Path, target: Path) -> list[str]:
    """Copy every file of ``source`` that ``target`` lacks; return the copied paths (relative).
    Existing files are left as they are, edited or not."""
    copied = []
    for path in sorted(source.rglob("*")):
        if path.is_dir() or any(part in {".ipynb_checkpoints", "__pycache__"} for part in path.parts):
            continue
        rel = path.relative_to(source)
        dest = target / rel
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
            copied.append(str(rel))
    return copied


# JupyterLab's settings for a room of learners: no toast asking whether to fetch Jupyter's news
# (the machine may have no internet, and thirty learners need not each answer it), no update check.
QUIET_LAB = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
             {"fetchNews": "false", "checkForUpdates": False}}


def quiet_lab(home: Path) -> list[str]:
    """Write QUIET_LAB into the learner's JupyterLab user settings (``~/.jupyter/lab/user-settings``
    of the server's HOME), leaving any file the learner already has alone; the files written."""
    written = []
    for name, values in QUIET_LAB.items():
        path = home / ".jupyter" / "lab" / "user-settings" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=1))
            written.append(str(path))
    return written


def _bytes(limit) -> int:
    """A memory limit as JupyterHub writes it (an int of bytes, or '2G', '512M') in bytes."""
    if isinstance(limit, (int, float)):
        return int(limit)
    text = str(limit).strip().upper()
    scale = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(text[-1:], 1)
    return int(float(text[:-1] if text[-1:] in "KMGT" else text) * scale)


class Limits:
    """A control group that caps memory and CPU for one learner's server and its kernels."""

    PERIOD_US = 100_000

    def __init__(self, dirs: list[Path]):
        self.dirs = dirs

    @classmethod
    def create(cls, name: str, memory: int | None, cpus: float | None):
        """The group, or None where this machine does not let this process make one."""
        root = Path("/sys/fs/cgroup")
        try:
            if (root / "memory" / "cgroup.procs").exists() and (root / "cpu" / "cgroup.procs").exists():   # v1
                mem, cpu = root / "memory" / name, root / "cpu" / name
                for d in (mem, cpu):
                    d.mkdir(exist_ok=True)
                if memory:
                    (mem / "memory.limit_in_bytes").write_text(str(memory))
                if cpus:
                    (cpu / "cpu.cfs_period_us").write_text(str(cls.PERIOD_US))
                    (cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * cls.PERIOD_US)))
                return cls([mem, cpu])
            if (root / "cgroup.controllers").exists():                                                     # v2
                own = open("/proc/self/cgroup").read().strip().split("::", 1)[-1].splitlines()[0]
                base = root / own.lstrip("/")
                if not {"memory", "cpu"} <= set((base / "cgroup.subtree_control").read_text().split()):
                    return None
                d = base / name
                d.mkdir(exist_ok=True)
                if memory:
                    (d / "memory.max").write_text(str(memory))
                if cpus:
                    (d / "cpu.max").write_text(f"{int(cpus * cls.PERIOD_US)} {cls.PERIOD_US}")
                return cls([d])
        except OSError:
            return None
        return None

    def add(self, pid: int) -> None:
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid))

    def memory_limit(self) -> int | None:
        for d in self.dirs:
            for name in ("memory.limit_in_bytes", "memory.max"):
                if (d / name).exists():
                    text = (d / name).read_text().strip()
                    return None if text == "max" else int(text)
        return None

    def pids(self) -> set:
        out = set()
        for d in self.dirs:
            try:
                out |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return out

    def remove(self, grace: float = 5.0) -> None:
        """Stop what is left in the group (kernels outliving their server), then remove it."""
        import signal
        import time

        deadline = time.monotonic() + grace
        sig = signal.SIGTERM
        while self.pids() and time.monotonic() < deadline + 2:
            for pid in self.pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
            if time.monotonic() > deadline:
                sig = signal.SIGKILL
        for d in self.dirs:
            try:
                d.rmdir()
            except OSError:
                pass          # not empty after all: the next start of this learner reuses it


class CourseSpawner(SimpleLocalProcessSpawner):
    """A learner's JupyterLab in ``home_dir_template`` with a copy of the course, limited in
    memory and CPU where the machine allows (see the module's docstring)."""

    course_root = Unicode(str(Path(__file__).resolve().parents[1]), config=True,
                          help="The course repository whose notebooks/ and exercises/ learners get a copy of.")
    course_parts = List(Unicode(), COURSE_PARTS, config=True, help="The folders of course_root each learner gets.")
    _warned_no_limits = False

    def user_env(self, env):
        env = super().user_env(env)
        for name in ("LRCOURSE_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env.setdefault(name, "1")
        return env

    def _group_name(self) -> str:
        return f"lrcourse-hub-{self.user.name}"

    async def start(self):
        home = Path(self.home_dir)
        home.mkdir(parents=True, exist_ok=True)
        for part in self.course_parts:
            copied = copy_missing(Path(self.course_root) / part, home / part)
            if copied:
                self.log.info("%s: copied %d course files into %s", self.user.name, len(copied), home / part)
        quiet_lab(home)
        result = await super().start()
        limits = Limits.create(self._group_name(), _bytes(self.mem_limit) if self.mem_limit else None,
                               self.cpu_limit or None)
        if limits is None:
            if (self.mem_limit or self.cpu_limit) and not CourseSpawner._warned_no_limits:
                self.log.warning("no control group could be made here: learners' servers run without "
                                 "the memory and CPU limits (mem_limit=%s, cpu_limit=%s)", self.mem_limit,
                                 self.cpu_limit)
                CourseSpawner._warned_no_limits = True
        else:
            limits.add(self.pid)      # kernels the server starts later inherit the group
            self.log.info("%s: server %d limited to %s memory, %s CPUs", self.user.name, self.pid,
                          self.mem_limit, self.cpu_limit)
        return result

    async def stop(self, now=False):
        await super().stop(now=now)
        root, name = Path("/sys/fs/cgroup"), self._group_name()
        left = [d for d in (root / "memory" / name, root / "cpu" / name, *self._v2_dirs()) if d.exists()]
        if left:
            await asyncio.to_thread(Limits(left).remove)      # may wait a few seconds for kernels to exit

    def _v2_dirs(self) -> list:
        try:
            own = open("/proc/self/cgroup").read().strip().split("::", 1)[-1].splitlines()[0]
        except (OSError, IndexError):
            return []
        return [Path("/sys/fs/cgroup") / own.lstrip("/") / self._group_name()]
