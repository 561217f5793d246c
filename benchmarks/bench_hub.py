"""A workshop against the course's JupyterHub on this machine (127.0.0.1 only):

    .venv-hub/bin/python benchmarks/bench_hub.py --learners 1 5 10 20 30 [--port 8765]

For each N, a fresh hub is started with `make hub`'s command (state in a temporary folder) and
N simulated learners arrive within the same minute (N = 1: at once). Each one:

1. logs in through the login form (any name, the workshop password) and waits for its server
   and a kernel for lesson 01: the time from the login request to the kernel's first answer is
   **login → kernel ready**;
2. runs every code cell of lesson 01 in that kernel, in order;
3. moves the first dashboard's slider 20 times through the widget protocol (a ``comm_msg``
   "update" to the slider's model, as the browser sends it), about once a second with random
   jitter: the time from the message to the dashboard's new image arriving (the Image model's
   update on the kernel's iopub channel) is one **slider event**;
4. runs the first check of exercise 01 in a new kernel and expects its one-line answer.

Reported per N: login → kernel ready p50/p95, slider event p50/p95 (all events, and those after
the last learner's kernel was ready: the room once everybody is in), the hub's whole process
tree's memory at its peak (learners' servers and kernels included), CPU seconds by kind of
process (hub, proxy, servers, kernels), failures (with reasons).
Each learner's steps are bounded in time, and so is the whole run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests
import websocket

ROOT = Path(__file__).resolve().parents[1]
LESSON = "notebooks/01_what_is_a_learning_rate.ipynb"
EXERCISE_DIR = "exercises"
SLIDER_MOVES = 20


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


@dataclass
class Outcome:
    name: str
    ready_s: float | None = None
    ready_at: float | None = None          # time.monotonic() when the lesson's kernel was ready
    slider_ms: list = field(default_factory=list)
    slider_at: list = field(default_factory=list)   # time.monotonic() at the start of each event
    failure: str | None = None


class Kernel:
    """A kernel of a learner's server, spoken to over its websocket (Jupyter's message protocol)."""

    def __init__(self, learner: "Learner", kernel_id: str):
        self.session = uuid.uuid4().hex
        cookies = "; ".join(f"{c.name}={c.value}" for c in learner.http.cookies)
        url = learner.base.replace("http", "ws", 1) + f"/user/{learner.name}/api/kernels/{kernel_id}/channels"
        self.ws = websocket.create_connection(url, header=[f"Cookie: {cookies}"], timeout=300,
                                              origin=learner.base)

    def send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.session,
                                            "username": "learner", "version": "5.3",
                                            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                                 "parent_header": {}, "metadata": {}, "content": content, "channel": channel,
                                 "buffers": []}))
        return msg_id

    def receive(self, deadline: float):
        self.ws.settimeout(max(0.1, deadline - time.monotonic()))
        raw = self.ws.recv()
        if isinstance(raw, bytes):     # a binary frame (a message with buffers): its JSON part is enough
            return _binary_json(raw)
        return json.loads(raw)

    def execute(self, code: str, timeout: float = 300.0) -> dict:
        """Run ``code``; return {"status", "stdout", "error"} once the kernel is idle again."""
        msg_id = self.send("execute_request", {"code": code, "silent": False, "store_history": True,
                                               "user_expressions": {}, "allow_stdin": False,
                                               "stop_on_error": True})
        deadline, out, status, error = time.monotonic() + timeout, [], None, None
        idle = False
        while not (idle and status):
            msg = self.receive(deadline)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = msg["content"]["ename"] + ": " + msg["content"]["evalue"]
            elif kind == "execute_reply":
                status = msg["content"]["status"]
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        return {"status": status, "stdout": "".join(out), "error": error}

    def wait_ready(self, timeout: float = 300.0) -> None:
        msg_id = self.send("kernel_info_request", {})
        deadline = time.monotonic() + timeout
        while True:
            msg = self.receive(deadline)
            if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["header"]["msg_type"] == "kernel_info_reply":
                return

    def move(self, slider_id: str, image_id: str, value: float, timeout: float = 60.0) -> float:
        """One slider event through the widget protocol: seconds until the image's update arrives."""
        t0 = time.monotonic()
        self.send("comm_msg", {"comm_id": slider_id, "data": {"method": "update", "state": {"value": value},
                                                             "buffer_paths": []}})
        deadline = t0 + timeout
        while True:
            msg = self.receive(deadline)
            if msg["header"]["msg_type"] == "comm_msg" and msg["content"].get("comm_id") == image_id \
                    and msg["content"].get("data", {}).get("method") in ("update", "echo_update"):
                return time.monotonic() - t0

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass


def _binary_json(raw: bytes) -> dict:
    """The JSON parts of a binary websocket frame (Jupyter's v1 kernel websocket protocol or the
    legacy one): enough to read the header and the content."""
    import struct

    n = struct.unpack("!I", raw[:4])[0]
    offsets = [struct.unpack("!I", raw[4 + 4 * i:8 + 4 * i])[0] for i in range(n)]
    first = raw[offsets[0]:offsets[1]]
    return json.loads(first)


class Learner:
    def __init__(self, base: str, name: str, password: str):
        self.base, self.name, self.password = base, name, password
        self.http = requests.Session()

    def _xsrf(self, where: str = "user") -> dict:
        """The XSRF token of the hub's pages or of the learner's server (two cookies, two paths)."""
        prefix = "/hub" if where == "hub" else f"/user/{self.name}"
        tokens = [c.value for c in self.http.cookies if c.name == "_xsrf" and (c.path or "/").startswith(prefix)]
        tokens += [c.value for c in self.http.cookies if c.name == "_xsrf"]
        return {"X-XSRFToken": tokens[0] if tokens else ""}

    def login_and_start(self, timeout: float) -> str:
        """Log in, wait for the server, open lesson 01's kernel; returns the kernel id."""
        deadline = time.monotonic() + timeout
        self.http.get(f"{self.base}/hub/login", timeout=60)
        r = self.http.post(f"{self.base}/hub/login?next=", data={"username": self.name, "password": self.password,
                                                               "_xsrf": self._xsrf("hub")["X-XSRFToken"]},
                           timeout=120, allow_redirects=True)
        if r.status_code >= 400:
            raise RuntimeError(f"login answered {r.status_code}")
        while True:          # the hub starts the server; its API answers once it is up
            r = self.http.get(f"{self.base}/user/{self.name}/api/status", timeout=60)
            if r.status_code == 200 and r.headers.get("content-type", "").startswith("application/json"):
                break
            if r.status_code == 403:    # up, but this session has no server cookie yet: open a page,
                # as the browser does after the spawn page (the OAuth round trip through the hub sets it)
                self.http.get(f"{self.base}/user/{self.name}/lab", timeout=60, allow_redirects=True)
                continue
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {timeout:.0f} s (last answer {r.status_code})")
            time.sleep(0.5)
        r = self.http.post(f"{self.base}/user/{self.name}/api/sessions", headers=self._xsrf(), timeout=120,
                           json={"path": LESSON, "type": "notebook", "name": "", "kernel": {"name": "python3"}})
        if r.status_code >= 400:
            raise RuntimeError(f"starting a kernel answered {r.status_code}: {r.text[:200]}")
        return r.json()["kernel"]["id"]

    def new_kernel(self, path: str) -> str:
        r = self.http.post(f"{self.base}/user/{self.name}/api/sessions", headers=self._xsrf(), timeout=120,
                           json={"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}})
        r.raise_for_status()
        return r.json()["kernel"]["id"]


def code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


FIND_SLIDER = """
import ipywidgets as _w
from lrcourse import widgets as _lw
_dash = _lw.gd_parabola(lr=0.3)
print(_dash.controls["lr"].model_id, _dash.image.model_id, *[float(v) for v in _lw.positions(_dash.controls["lr"])[[20, 35, 50, 65]]])
"""


def learner_run(base: str, name: str, password: str, delay: float, rng: random.Random, out: Outcome,
                step_timeout: float) -> None:
    time.sleep(delay)
    learner = Learner(base, name, password)
    kernel = None
    try:
        t0 = time.monotonic()
        kernel_id = learner.login_and_start(step_timeout)
        kernel = Kernel(learner, kernel_id)
        kernel.wait_ready(step_timeout)
        out.ready_at = time.monotonic()
        out.ready_s = out.ready_at - t0
        for code in code_cells(ROOT / LESSON):
            r = kernel.execute(code, timeout=step_timeout)
            if r["status"] != "ok":
                raise RuntimeError(f"lesson 01 cell failed: {r['error']}")
        r = kernel.execute(FIND_SLIDER, timeout=step_timeout)
        if r["status"] != "ok" or len(r["stdout"].split()) < 3:
            raise RuntimeError(f"finding the slider failed: {r}")
        slider_id, image_id, *values = r["stdout"].split()
        values = [float(v) for v in values]
        for i in range(SLIDER_MOVES):
            time.sleep(max(0.0, rng.uniform(0.7, 1.3)))               # a learner's pace, with jitter
            out.slider_at.append(time.monotonic())
            out.slider_ms.append(1e3 * kernel.move(slider_id, image_id, values[i % len(values)]))
        kernel.close()
        kernel = None
        ex = sorted((ROOT / EXERCISE_DIR).glob("01_*/*.ipynb"))[0].relative_to(ROOT)
        kernel = Kernel(learner, learner.new_kernel(str(ex)))
        kernel.wait_ready(step_timeout)
        answered = False
        for code in code_cells(ROOT / ex):
            r = kernel.execute(code, timeout=step_timeout)
            if 'check("' in code:
                text = (r["stdout"] or "") + (r["error"] or "")
                if "not attempted" not in text.lower():
                    raise RuntimeError(f"exercise check answered {text[:200]!r}")
                answered = True
                break
        if not answered:
            raise RuntimeError("exercise 01 has no check cell")
    except Exception as exc:          # a failure is a result: counted and reported
        out.failure = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        if kernel is not None:
            kernel.close()


def hub_memory(pid: int) -> int:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _kind(p) -> str:
    line = " ".join(p.cmdline())
    if "ipykernel" in line:
        return "kernels"
    if "jupyterhub-singleuser" in line:
        return "servers"
    if "configurable-http-proxy" in line or p.name() == "node":
        return "proxy"
    return "hub"


def cpu_seconds(pid: int) -> dict:
    """CPU seconds (user + system) used so far by the hub's processes, by kind: the hub (with the
    idle culler), the proxy, the learners' servers and their kernels (a server's reaped kernels
    count as kernels: their time is in the server's children times)."""
    out = {"hub": 0.0, "proxy": 0.0, "servers": 0.0, "kernels": 0.0}
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return out
    for p in procs:
        try:
            t, kind = p.cpu_times(), _kind(p)
        except psutil.Error:
            continue
        out[kind] += t.user + t.system
        if kind == "servers":
            out["kernels"] += t.children_user + t.children_system
    return {k: round(v, 1) for k, v in out.items()}


def start_hub(state: Path, port: int, password: str, log):
    """`make hub`'s command with a private state folder and port; returns the process."""
    command = subprocess.run(["make", "-s", "--no-print-directory", "hub-command", f"HUB_PORT={port}"], cwd=ROOT,
                             capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL).stdout.strip()
    env = dict(os.environ, LRCOURSE_HUB_STATE=str(state), LRCOURSE_HUB_PASSWORD=password)
    proc = subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the hub exited with {proc.returncode}")
        try:
            if requests.get(f"{base}/hub/api", timeout=5).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("the hub did not answer within 120 s")


def stop_hub(proc, timeout: float = 60) -> bool:
    """Ctrl-C, as in a terminal; True if the hub and everything it started are gone."""
    try:
        group = os.getpgid(proc.pid)
    except ProcessLookupError:
        return True
    os.killpg(group, signal.SIGINT)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        proc.wait(10)
        return False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        left = [p for p in psutil.process_iter(["pid"]) if _in_group(p, group)]
        if not left:
            return True
        time.sleep(0.5)
    return False


def _in_group(p, group) -> bool:
    try:
        return os.getpgid(p.info["pid"]) == group
    except (ProcessLookupError, PermissionError):
        return False


def workshop(n: int, port: int, seed: int = 0, step_timeout: float = 600.0, spread: float = 60.0) -> dict:
    rng = random.Random(seed)
    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="lrcourse-hub-") as tmp:
        log = open(Path(tmp) / "hub.log", "w")
        proc, base = start_hub(Path(tmp) / "state", port, password, log)
        outcomes = [Outcome(f"learner{i:02d}") for i in range(n)]
        delays = [0.0] * n if n == 1 else sorted(rng.uniform(0, spread) for _ in range(n))
        threads = [threading.Thread(target=learner_run, daemon=True,
                                    args=(base, o.name, password, d, random.Random(rng.random()), o, step_timeout))
                   for o, d in zip(outcomes, delays)]
        t0, peak = time.monotonic(), 0
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads) and time.monotonic() - t0 < spread + 3 * step_timeout:
            peak = max(peak, hub_memory(proc.pid))
            time.sleep(1.0)
        for o, t in zip(outcomes, threads):
            if t.is_alive() and o.failure is None:
                o.failure = "did not finish in time"
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(proc.pid)
        clean = stop_hub(proc)
        log.close()
        log_tail = (Path(tmp) / "hub.log").read_text()[-3000:]
    ready = [o.ready_s for o in outcomes if o.ready_s is not None]
    events = [ms for o in outcomes for ms in o.slider_ms]
    # The arrival: until the last learner's kernel is ready, others' servers start and their
    # lessons run; after it, the room works at its own pace (what a workshop sees after its first minutes).
    arrived = max((o.ready_at for o in outcomes if o.ready_at is not None), default=0.0)
    settled = [ms for o in outcomes for at, ms in zip(o.slider_at, o.slider_ms) if at >= arrived]
    return {"learners": n, "elapsed_s": round(elapsed, 1), "failures": [f"{o.name}: {o.failure}" for o in outcomes if o.failure],
            "ready_p50_s": round(percentile(ready, 50), 2), "ready_p95_s": round(percentile(ready, 95), 2),
            "slider_p50_ms": round(percentile(events, 50), 1), "slider_p95_ms": round(percentile(events, 95), 1),
            "slider_events": len(events), "settled_events": len(settled),
            "settled_p50_ms": round(percentile(settled, 50), 1) if settled else None,
            "settled_p95_ms": round(percentile(settled, 95), 1) if settled else None, "peak_memory_gb": round(peak / 2**30, 2), "stopped_cleanly": clean,
            "cpu_s": cpu,
            "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()), "hub_log_tail": log_tail}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[1, 5, 10, 20, 30])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    for n in args.learners:
        if not 1 <= n <= 60:
            parser.error(f"--learners takes counts from 1 to 60, got {n}")
    print(f"{os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'N':>3} {'ready p50 s':>11} {'p95 s':>7} {'slider p50 ms':>14} {'p95 ms':>7} {'events':>7} "
          f"{'peak GB':>8} {'failures':>8} {'run s':>6}")
    rows = []
    for n in args.learners:
        row = workshop(n, args.port)
        rows.append(row)
        print(f"{n:>3} {row['ready_p50_s']:>11} {row['ready_p95_s']:>7} {row['slider_p50_ms']:>14} "
              f"{row['slider_p95_ms']:>7} {row['slider_events']:>7} {row['peak_memory_gb']:>8} "
              f"{len(row['failures']):>8} {row['elapsed_s']:>6}", flush=True)
        print(f"     after the last learner was in: {row['settled_events']} slider events, p50 "
              f"{row['settled_p50_ms']} ms, p95 {row['settled_p95_ms']} ms")
        print(f"     CPU seconds: {row['cpu_s']} (per learner: "
              f"{sum(row['cpu_s'].values()) / n:.1f})", flush=True)
        for f in row["failures"][:5]:
            print("     ", f)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0 if all(not r["failures"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
