"""The default executor of :func:`framesink.render`: worker processes started
fresh (``python -c``), never forked and never re-running the caller's script,
so it is safe wherever ``spawn`` is and needs no ``if __name__ == "__main__"``.

Tasks travel as cloudpickle (lambdas and closures work) over two pipes per
worker, each with the caller's ``sys.path`` and working directory of the
moment; the worker's stdout and stderr stay the caller's. A worker that dies
(killed, crashed) is replaced and its task run again, up to twice.

The workers outlive one render: the pool of the last ``render()`` stays up for
the next one in the same process (until one fails, or the process exits), and
:class:`Pool` starts one ahead of time, with its imports done.
"""

from __future__ import annotations

import atexit
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
    while True:
        try:
            path, cwd, task = _receive(tasks)
        except EOFError:
            return
        try:
            # Before the task is unpickled: a function sent by reference is
            # imported from the caller's path.
            if sys.path != path:
                sys.path[:] = path
            if cwd != os.getcwd():
                os.chdir(cwd)
            fn, args = cloudpickle.loads(task)
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


def _warm_up() -> None:
    """Imports what a render task needs, ahead of the first: numpy, framesink,
    and matplotlib's pyplot where matplotlib is installed."""
    import numpy  # noqa: F401

    import framesink  # noqa: F401

    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        pass


class ProcessPool(Executor):
    """``workers`` fresh Python processes taking tasks from one queue; ``warm``
    starts them now and returns once each has done its imports."""

    def __init__(self, workers: int, *, warm: bool = False) -> None:
        self._max_workers = workers
        self._queue: queue.Queue[Any] = queue.Queue()
        self._shutdown = False
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self.pids: list[int] = []
        self._warm = warm
        self._ready = threading.Semaphore(0)
        self._threads = [
            threading.Thread(target=self._run, name=f"framesink-pool-{i}", daemon=True)
            for i in range(workers)
        ]
        for t in self._threads:
            t.start()
        if warm:
            for _ in self._threads:
                self._ready.acquire()

    @property
    def alive(self) -> bool:
        """Whether it takes tasks (not shut down)."""
        return not self._shutdown

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

    def _call(self, worker: _Worker, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        task = cloudpickle.dumps((fn, args))
        _send(worker.tasks, (list(sys.path), os.getcwd(), task))
        return _receive(worker.results)

    def _run(self) -> None:
        worker: _Worker | None = None
        try:
            if self._warm:
                try:
                    worker = self._start()
                    self._call(worker, _warm_up, ())
                except (EOFError, OSError):
                    worker = None  # started again for the first task
                finally:
                    self._ready.release()
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
                        status, value = self._call(worker, fn, args)
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


class Pool(ProcessPool):
    """Worker processes for :func:`framesink.render`, started now with numpy,
    framesink and matplotlib imported, so that no render pays for that.

    While entered (``with framesink.Pool(2): ...``), it is the pool of every
    ``render(..., executor=None)`` whose ``workers`` is None or its size; it
    shuts down when the block ends. ``render(..., executor=pool)`` uses it too.
    Without a Pool, render keeps its workers up for the next call anyway; a
    Pool only moves their start out of the first one.
    """

    def __init__(self, workers: int | None = None) -> None:
        from . import _args

        _args.whole("workers", workers, 1)
        super().__init__(workers or os.cpu_count() or 1, warm=True)

    def __enter__(self) -> Pool:
        with _shared_lock:
            _entered.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _shared_lock:
            if self in _entered:
                _entered.remove(self)
        self.shutdown(wait=True)

    def __repr__(self) -> str:
        state = "running" if self.alive else "shut down"
        return f"<framesink.Pool workers={self._max_workers} {state}>"


_shared_lock = threading.Lock()
_shared: ProcessPool | None = None
_entered: list[Pool] = []


def pool_for(workers: int | None) -> tuple[ProcessPool, bool]:
    """The pool a render with no executor runs on: the innermost entered
    :class:`Pool` of that size, else the shared one of the last render (made
    anew when its size differs); and whether it is the shared one."""
    global _shared
    with _shared_lock:
        for p in reversed(_entered):
            if p.alive and workers in (None, p._max_workers):
                return p, False
        n = workers or os.cpu_count() or 1
        if _shared is None or not _shared.alive or _shared._max_workers != n:
            if _shared is not None:
                _shared.shutdown(wait=False, cancel_futures=True)
            _shared = ProcessPool(n)
        return _shared, True


def discard(pool: ProcessPool) -> None:
    """Stops the shared pool after a failed render: its workers may still be
    running that render's tasks. The next render starts a new one."""
    global _shared
    with _shared_lock:
        if _shared is pool:
            _shared = None
    pool.kill()
    pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _stop_shared() -> None:
    with _shared_lock:
        pools = [p for p in (_shared, *_entered) if p is not None]
    for p in pools:
        p.shutdown(wait=False, cancel_futures=True)
