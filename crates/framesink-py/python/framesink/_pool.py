"""The default executor of :func:`framesink.render`: worker processes started
fresh (``python -c``), never forked and never re-running the caller's script,
so it is safe wherever ``spawn`` is and needs no ``if __name__ == "__main__"``.

Tasks travel as cloudpickle (lambdas and closures work) over two pipes per
worker; the worker's stdout and stderr stay the caller's. A worker that dies
(killed, crashed) is replaced and its task run again, up to twice.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from concurrent.futures import Executor, Future
from typing import Any, BinaryIO, Callable

import cloudpickle

from ._errors import FramesinkError

_RETRIES = 2
_WORKER = "import sys; from framesink._pool import serve; serve(int(sys.argv[1]), int(sys.argv[2]))"


def _send(stream: BinaryIO, obj: Any) -> None:
    data = cloudpickle.dumps(obj)
    stream.write(len(data).to_bytes(8, "little"))
    stream.write(data)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the other side closed the pipe")
    n = int.from_bytes(header, "little")
    data = stream.read(n)
    if len(data) < n:
        raise EOFError("the other side closed the pipe mid-message")
    return cloudpickle.loads(data)


def serve(read_fd: int, write_fd: int) -> None:
    """The worker's loop: run each task, send back its result or exception."""
    tasks = os.fdopen(read_fd, "rb")
    results = os.fdopen(write_fd, "wb")
    try:
        sys.path[:] = _receive(tasks)
    except EOFError:
        return
    while True:
        try:
            fn, args = _receive(tasks)
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except BaseException as e:  # sent back to the caller, who raises it
            reply = ("error", e)
        try:
            try:
                _send(results, reply)
            except (pickle.PicklingError, TypeError, AttributeError) as e:
                _send(results, ("error", FramesinkError(f"the result cannot be sent back: {e!r}")))
        except OSError:
            return  # the caller is gone or stopped this worker


class _Worker:
    def __init__(self) -> None:
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        env = dict(os.environ)
        env.setdefault("MPLBACKEND", "Agg")  # workers draw off-screen
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(to_r), str(from_w)],
            pass_fds=(to_r, from_w),
            env=env,
            stdin=subprocess.DEVNULL,
        )
        os.close(to_r)
        os.close(from_w)
        self.tasks = os.fdopen(to_w, "wb")
        self.results = os.fdopen(from_r, "rb")
        _send(self.tasks, list(sys.path))

    def close(self) -> None:
        for stream in (self.tasks, self.results):
            try:
                stream.close()
            except OSError:
                pass

    def stop(self) -> None:
        self.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ProcessPool(Executor):
    """``workers`` fresh Python processes taking tasks from one queue."""

    def __init__(self, workers: int) -> None:
        self._max_workers = workers
        self._queue: queue.Queue[Any] = queue.Queue()
        self._shutdown = False
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self.pids: list[int] = []
        self._threads = [
            threading.Thread(target=self._run, name=f"framesink-pool-{i}", daemon=True)
            for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if kwargs:
            raise TypeError("ProcessPool.submit takes positional arguments only")
        future: Future[Any] = Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("the pool is shut down")
            self._queue.put((future, fn, args))
        return future

    def _start(self) -> _Worker:
        w = _Worker()
        with self._lock:
            self._workers.append(w)
            self.pids.append(w.proc.pid)
        return w

    def _run(self) -> None:
        worker: _Worker | None = None
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                future, fn, args = job
                if not future.set_running_or_notify_cancel():
                    continue
                for attempt in range(_RETRIES + 1):
                    if worker is None:
                        worker = self._start()
                    try:
                        _send(worker.tasks, (fn, args))
                        status, value = _receive(worker.results)
                    except (EOFError, OSError):
                        code = worker.proc.wait()
                        worker.close()
                        worker = None
                        if attempt == _RETRIES:
                            future.set_exception(
                                FramesinkError(
                                    f"a worker process died (exit status {code}) "
                                    f"{_RETRIES + 1} times running the same task"
                                )
                            )
                        continue
                    if status == "ok":
                        future.set_result(value)
                    else:
                        future.set_exception(value)
                    break
        finally:
            if worker is not None:
                worker.stop()

    def kill(self) -> None:
        """Stops every worker at once (their running tasks are lost)."""
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
        if cancel_futures:
            while True:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    job[0].cancel()
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()
