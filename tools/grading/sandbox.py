"""One sandbox per submission, built with bubblewrap (Debian's ``bubblewrap`` package).

The learner's code sees: the Python installation and the course's virtual environment
read-only, a copy of the ``lrcourse`` package without the reference answers and with
``sandbox_exercises.py`` in place of the checkers, the harness,
its job file, a private /proc and /dev, and an empty /tmp of limited size. It has no network,
its own PID namespace (every process it starts dies with it, also one started with setsid),
no capabilities, and no path to the checkout, the answers, the gradebook, other submissions
or the output folder. Limits: wall time, CPU time, memory, processes, bytes of output and of
files; each one that is hit is reported by name. Memory and process counts go through a
control group where this machine lets us create one (root, or a delegated cgroup v2 tree);
otherwise through resource limits and a watchdog that counts the sandbox's processes.
"""

from __future__ import annotations

import ast
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
INSTALL_HINT = ("bubblewrap (bwrap) is not installed, and grading untrusted notebooks needs it. Install it with "
                "`sudo apt-get install bubblewrap` (Debian, Ubuntu), `sudo dnf install bubblewrap` (Fedora) or "
                "`sudo pacman -S bubblewrap` (Arch), then run the command again. For notebooks you trust, "
                "`--unsafe` grades without a sandbox.")


@dataclass
class Limits:
    wall_s: float = 120.0               # the whole notebook, cells and graded calls
    cpu_s: float = 240.0                # CPU seconds of each process
    memory_bytes: int = 2 << 30         # all processes together
    processes: int = 64                 # processes and threads at once
    output_bytes: int = 10 << 20        # what the learner's code prints (more is read and thrown away)
    result_bytes: int = 64 << 20        # the encoded results
    tmp_bytes: int = 256 << 20          # the private /tmp
    file_bytes: int = 128 << 20         # any one file written


@dataclass
class Report:
    lines: list = field(default_factory=list)     # parsed result lines (dicts), in order
    stopped: list = field(default_factory=list)   # limits hit, in words
    returncode: int | None = None
    seconds: float = 0.0
    output_head: str = ""
    output_bytes: int = 0
    notes: list = field(default_factory=list)     # limits that were hit without stopping the run


def bwrap_path():
    return shutil.which("bwrap")


# --------------------------------------------------------------------------- control groups


class Cgroup:
    """A pids + memory control group for one sandbox (v1 or v2), or nothing."""

    def __init__(self, dirs: dict, version: int):
        self.dirs, self.version = dirs, version

    @classmethod
    def create(cls, name: str, limits: Limits):
        v1 = Path("/sys/fs/cgroup")
        try:
            if (v1 / "pids" / "cgroup.procs").exists() and (v1 / "memory" / "cgroup.procs").exists():
                dirs = {"pids": v1 / "pids" / name, "memory": v1 / "memory" / name}
                for d in dirs.values():
                    d.mkdir()
                (dirs["pids"] / "pids.max").write_text(str(limits.processes))
                (dirs["memory"] / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
                try:
                    (dirs["memory"] / "memory.memsw.limit_in_bytes").write_text(str(limits.memory_bytes))
                except OSError:
                    pass
                return cls(dirs, 1)
            if (v1 / "cgroup.controllers").exists():
                own = Path(open("/proc/self/cgroup").read().strip().split("::", 1)[-1].splitlines()[0])
                base = v1 / str(own).lstrip("/")
                enabled = (base / "cgroup.subtree_control").read_text().split()
                if {"pids", "memory"} <= set(enabled):
                    d = base / name
                    d.mkdir()
                    (d / "pids.max").write_text(str(limits.processes))
                    (d / "memory.max").write_text(str(limits.memory_bytes))
                    (d / "memory.swap.max").write_text("0")
                    return cls({"pids": d, "memory": d}, 2)
        except OSError:
            pass
        return None

    def procs_files(self):
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    def memory_hit(self) -> bool:
        d = self.dirs["memory"]
        try:
            if self.version == 1:
                text = (d / "memory.oom_control").read_text()
                kills = [ln.split()[1] for ln in text.splitlines() if ln.startswith("oom_kill ")]
                return bool(kills and int(kills[0]) > 0) or int((d / "memory.failcnt").read_text()) > 0 \
                    and int((d / "memory.max_usage_in_bytes").read_text()) >= int(
                        (d / "memory.limit_in_bytes").read_text()) * 0.98
            events = dict(ln.split() for ln in (d / "memory.events").read_text().splitlines())
            return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
        except (OSError, ValueError):
            return False

    def pids_hit(self) -> bool:
        try:
            events = dict(ln.split() for ln in (self.dirs["pids"] / "pids.events").read_text().splitlines())
            return int(events.get("max", 0)) > 0
        except (OSError, ValueError):
            return False

    def pids(self):
        out = set()
        for f in self.procs_files():
            try:
                out |= {int(x) for x in Path(f).read_text().split()}
            except OSError:
                pass
        return out

    def destroy(self):
        for _ in range(50):
            left = self.pids()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)
        for d in set(self.dirs.values()):
            try:
                d.rmdir()
            except OSError:
                pass


# --------------------------------------------------------------------------- the sandbox


def _namespace_pids(ns_link: str):
    """Processes (by host pid) whose PID namespace is ``ns_link``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == ns_link:
                    out.append(int(entry))
            except OSError:
                pass
    return out


def _rss_bytes(pids):
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in pids:
        try:
            total += int(open(f"/proc/{pid}/statm").read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return total


def library_answers() -> dict:
    """The exercises whose reference answer is a library function (``_answers.py`` imports it
    from a module of the library, e.g. ``from .search import early_stop``, and holds its hidden
    tests as ``hidden_early_stop``): module -> names. The sandbox's copy of those modules
    leaves the functions out, so an answer cell cannot hand in the library's function instead
    of its own."""
    tree = ast.parse((ROOT / "lrcourse" / "_answers.py").read_text())
    tested = {node.name.removeprefix("hidden_") for node in tree.body
              if isinstance(node, ast.FunctionDef) and node.name.startswith("hidden_")}
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            names = [a.name for a in node.names if (a.asname or a.name) in tested]
            if names:
                found.setdefault(node.module, []).extend(names)
    return found


def without_function(text: str, name: str, module: str) -> str:
    """``text`` (a module's source) with the top-level function ``name`` replaced by one that
    says, when called, that it is not available while grading."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            stub = (f"def {name}(*args, **kwargs):\n"
                    f"    raise RuntimeError('lrcourse.{module}.{name} is the answer to an exercise, "
                    f"so it is not available while grading')\n")
            return "".join(lines[:first]) + stub + "".join(lines[node.end_lineno:])
    raise ValueError(f"{module}.py has no top-level function {name!r}")


class Sandbox:
    """Runs ``harness.py`` on a job file, sandboxed (or, with ``unsafe=True``, only with limits)."""

    def __init__(self, limits: Limits | None = None, unsafe: bool = False):
        self.limits = limits or Limits()
        self.unsafe = unsafe
        self.bwrap = bwrap_path()
        if not unsafe and not self.bwrap:
            raise RuntimeError(INSTALL_HINT)
        self.stage = Path(tempfile.mkdtemp(prefix="lrcourse-grader-"))
        # The library without the reference answers (and without any compiled copy of them).
        pkg = self.stage / "lib" / "lrcourse"
        pkg.mkdir(parents=True)
        answers = library_answers()
        for src in sorted((ROOT / "lrcourse").glob("*.py")):
            if src.name not in ("_answers.py", "exercises.py"):
                text = src.read_text()
                for name in answers.get(src.stem, ()):
                    text = without_function(text, name, src.stem)
                (pkg / src.name).write_text(text)
        # The checkers stay outside too: they hold reference computations.
        shutil.copy2(HERE / "sandbox_exercises.py", pkg / "exercises.py")
        grader = self.stage / "grader"
        grader.mkdir()
        for name in ("codec.py", "harness.py"):
            shutil.copy2(HERE / name, grader / name)
        (self.stage / "jobs").mkdir()
        os.chmod(self.stage, 0o755)
        self.counter = 0
        self.lock = threading.Lock()

    def close(self):
        shutil.rmtree(self.stage, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ----------------------------------------------------------------- command line
    def environment(self, home: str) -> dict:
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": home,
               "PYTHONPATH": f"{self.where('lib')}:{self.where('grader')}", "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": f"{home}/.mpl", "IPYTHONDIR": f"{home}/.ipython", "LRCOURSE_NO_SOLUTIONS": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "TQDM_DISABLE": "1"}
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = "1"
        return env

    def where(self, part: str) -> str:
        return f"/opt/lrcourse-grader/{part}" if not self.unsafe else str(self.stage / part)

    def command(self, job: Path, result_fd: int = 3) -> list:
        python = [str(Path(sys.executable)), "-B", "-s"]
        harness = f"{self.where('grader')}/harness.py"
        if self.unsafe:
            return [*python, harness, str(job), str(result_fd)]
        cmd = [self.bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--disable-userns", "--clearenv",
               # /tmp first: the binds below may lie under /tmp (a venv in a fresh clone there) and
               # must land on top of it, not be hidden by it.
               "--size", str(self.limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
        for key, value in self.environment("/tmp").items():
            cmd += ["--setenv", key, value]
        for top in ("bin", "lib", "lib32", "lib64", "libx32", "sbin"):
            path = Path("/") / top
            if path.is_symlink():
                cmd += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                cmd += ["--ro-bind", str(path), str(path)]
        cmd += ["--ro-bind", "/usr", "/usr"]
        for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
                     "alternatives", "fonts", "mime.types"):
            cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        seen = set()
        for prefix in (sys.base_prefix, sys.prefix):
            real = os.path.realpath(prefix)
            if real.startswith("/usr/") or real in seen:
                continue
            seen.add(real)
            cmd += ["--ro-bind", real, real]
            if prefix != real:
                cmd += ["--symlink", real, prefix]
        # No other copy of the course package may be reachable (a non-editable install has the answers).
        for entry in sys.path:
            if entry and os.path.isdir(os.path.join(entry, "lrcourse")) and \
                    any(os.path.realpath(entry).startswith(s + "/") for s in seen):
                cmd += ["--tmpfs", os.path.join(os.path.realpath(entry), "lrcourse")]
        cmd += ["--ro-bind", str(self.stage / "lib"), self.where("lib"),
                "--ro-bind", str(self.stage / "grader"), self.where("grader"),
                "--ro-bind", str(job), "/job/job.pkl",
                "--proc", "/proc", "--dev", "/dev",
                "--size", str(self.limits.tmp_bytes), "--tmpfs", "/dev/shm",
                "--remount-ro", "/", "--chdir", "/tmp", "--",
                *python, f"{self.where('grader')}/harness.py", "/job/job.pkl", str(result_fd)]
        return cmd

    # ----------------------------------------------------------------- running
    def run(self, job: Path, max_lines: int = 100_000) -> Report:
        """Run the harness on ``job``; ``max_lines``: result lines it may write (it writes
        about four per cell and call)."""
        import json

        limits, report = self.limits, Report()
        with self.lock:
            self.counter += 1
            name = f"lrcourse-grade-{os.getpid()}-{self.counter}"
        cgroup = None if self.unsafe else Cgroup.create(name, limits)
        procs_files = [f.encode() for f in (cgroup.procs_files() if cgroup else [])]
        # Everything the child does between fork and exec is decided here (the grader may run
        # several sandboxes from threads): join the control group, then set the resource limits.
        rlimits = [(resource.RLIMIT_CPU, (int(limits.cpu_s), int(limits.cpu_s) + 1)),
                   # address space, per process; the control group limits what is really used
                   (resource.RLIMIT_AS, (limits.memory_bytes + (1 << 30),) * 2),
                   (resource.RLIMIT_FSIZE, (limits.file_bytes,) * 2), (resource.RLIMIT_CORE, (0, 0)),
                   (resource.RLIMIT_NOFILE, (256, 256))]
        if os.geteuid() != 0:       # root is not held to RLIMIT_NPROC; the watchdog counts instead
            used = len([p for p in os.listdir("/proc") if p.isdigit()])
            rlimits.append((resource.RLIMIT_NPROC, (used + limits.processes,) * 2))

        def limit_child():
            for f in procs_files:
                fd = os.open(f, os.O_WRONLY)
                os.write(fd, b"0")          # "0" means the writing process itself
                os.close(fd)
            for res, value in rlimits:
                resource.setrlimit(res, value)

        read_fd, write_fd = os.pipe()
        env = self.environment(str(self.stage / "home")) if self.unsafe else {}
        if self.unsafe:
            (self.stage / "home").mkdir(exist_ok=True)
        started = time.monotonic()
        proc = subprocess.Popen(self.command(job, write_fd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env or None, start_new_session=True,
                                preexec_fn=limit_child,
                                pass_fds=(write_fd,), cwd=str(self.stage))
        os.close(write_fd)
        results, output = bytearray(), bytearray()
        state = {"out": 0, "res": 0}

        def pump(fd_or_file, sink, key, cap, keep):
            while True:
                chunk = os.read(fd_or_file, 65536)
                if not chunk:
                    return
                state[key] += len(chunk)
                if key == "res":
                    state["lines"] = state.get("lines", 0) + chunk.count(b"\n")
                    if state["lines"] > max_lines:
                        state["lines_over"] = True
                if len(sink) < keep:
                    sink.extend(chunk[: keep - len(sink)])
                if state[key] > cap:
                    state[key + "_over"] = True

        threads = [threading.Thread(target=pump, args=(proc.stdout.fileno(), output, "out", limits.output_bytes,
                                                       32_768), daemon=True),
                   threading.Thread(target=pump, args=(read_fd, results, "res", limits.result_bytes,
                                                       limits.result_bytes), daemon=True)]
        for t in threads:
            t.start()
        ns_link = None
        while proc.poll() is None:
            time.sleep(0.05)
            elapsed = time.monotonic() - started
            if elapsed > limits.wall_s:
                report.stopped.append(f"time limit ({limits.wall_s:g} s) reached")
                break
            if state.get("lines_over"):
                report.stopped.append(f"more than {max_lines} result lines (the harness writes a few per call)")
                break
            if state.get("res_over"):
                report.stopped.append(f"results larger than {limits.result_bytes // (1 << 20)} MB")
                break
            if cgroup is None and not self.unsafe:
                if ns_link is None:
                    ns_link = self._find_namespace(proc.pid)
                if ns_link:
                    pids = _namespace_pids(ns_link)
                    if len(pids) > limits.processes:
                        report.stopped.append(f"process limit ({limits.processes}) reached")
                        break
                    if _rss_bytes(pids) > limits.memory_bytes:
                        report.stopped.append(f"memory limit ({limits.memory_bytes >> 20} MB) reached")
                        break
        self._kill(proc)
        for t in threads:
            t.join(timeout=5)
        os.close(read_fd)
        report.returncode = proc.returncode
        report.seconds = time.monotonic() - started
        if cgroup:
            if cgroup.memory_hit():
                report.stopped.append(f"memory limit ({limits.memory_bytes >> 20} MB) reached")
            if cgroup.pids_hit():
                report.stopped.append(f"process limit ({limits.processes}) reached: new processes were refused")
            cgroup.destroy()
        if proc.returncode is not None and proc.returncode in (128 + signal.SIGXCPU, -signal.SIGXCPU) and \
                not any("time" in s for s in report.stopped):
            report.stopped.append(f"CPU time limit ({limits.cpu_s:g} s) reached")
        report.output_head = output.decode("utf-8", "replace")
        report.output_bytes = state["out"]
        if state.get("out_over"):
            report.notes.append(f"output limit: the notebook printed {state['out'] / (1 << 20):.0f} MB; only the "
                                f"first {len(output) >> 10} KB were kept")
        from .verdicts import clean_strings

        for line in bytes(results).decode("utf-8", "replace").splitlines()[:max_lines]:
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):     # forged or cut lines are skipped
                continue
            if isinstance(obj, dict):
                report.lines.append(clean_strings(obj))
        report.output_head = clean_strings(report.output_head)
        return report

    @staticmethod
    def _find_namespace(pid):
        """The PID namespace of the sandbox: that of bwrap's child."""
        try:
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    with open(f"/proc/{entry}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[-1].split()
                    if int(fields[1]) == pid:
                        link = os.readlink(f"/proc/{entry}/ns/pid")
                        if link != os.readlink("/proc/self/ns/pid"):
                            return link
        except OSError:
            return None
        return None

    @staticmethod
    def _kill(proc):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.kill()
        except OSError:
            pass
        proc.wait()
