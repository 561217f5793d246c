"""Runs inside the sandbox: the learner's code cells, then the grader's calls.

    python harness.py JOB FD       (JOB: a pickle written by the grader; results go to file descriptor FD)

The job holds the notebook's code cells (test cells left out) and the calls the test cells
make, with their arguments. Every line written to FD is one JSON object: a cell's error,
a call about to start, a call's encoded result or the exception it raised, and "done" at the
end. Learner code runs in this process, so anything here can be rewritten by it; that is
why only plain data leaves and the grade is decided elsewhere, without the reference
answers, which are not in the sandbox.
"""

import json
import os
import pickle
import sys
import time

import codec



def main(job_path: str, result_fd: int) -> None:
    with open(job_path, "rb") as fh:
        job = pickle.load(fh)
    out = os.fdopen(result_fd, "w", buffering=1, encoding="utf-8")

    def emit(obj):
        out.write(json.dumps(obj, allow_nan=False) + "\n")
        out.flush()

    import matplotlib

    matplotlib.use("Agg")
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    config.InteractiveShell.xmode = "Plain"
    shell = InteractiveShell.instance(config=config)
    for i, source in enumerate(job["cells"]):
        emit({"cell": i, "start": True})
        started = time.perf_counter()
        try:
            result = shell.run_cell(source, store_history=False)
            error = result.error_before_exec or result.error_in_exec
        except BaseException as exc:  # noqa: BLE001 - the learner's code may raise anything
            error = exc
        emit({"cell": i, "error": codec.encode_error(error) if error is not None else None,
              "seconds": round(time.perf_counter() - started, 3)})
    namespace = shell.user_ns
    for k, call in enumerate(job["calls"]):
        emit({"call": k, "start": True})
        started = time.perf_counter()
        name = call["name"]
        if name not in namespace:
            emit({"call": k, "missing": True})
            continue
        fn = namespace[name]
        if not callable(fn):
            try:
                emit({"call": k, "value": codec.encode(fn)})
            except Exception:  # noqa: BLE001
                emit({"call": k, "value": {"$o": type(fn).__name__[:80]}})
            continue
        args, kwargs = pickle.loads(call["args"])
        params = {}
        for index, arg in enumerate(args):
            if hasattr(arg, "named_parameters") and type(arg).__module__.startswith("torch"):
                params.update({id(p): [index, n] for n, p in arg.named_parameters()})
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported as the learner's exception
            emit({"call": k, "result": codec.encode_error(exc), "seconds": round(time.perf_counter() - started, 3)})
            continue
        try:
            encoded = codec.encode(value, params)
        except codec.TooBig as exc:
            encoded = {"$o": f"too big to grade ({exc})"}
        except Exception as exc:  # noqa: BLE001 - an object that fails while being read
            encoded = {"$o": f"{type(value).__name__} that could not be read ({type(exc).__name__})"}
        emit({"call": k, "result": encoded, "seconds": round(time.perf_counter() - started, 3)})
    emit({"done": True})


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
