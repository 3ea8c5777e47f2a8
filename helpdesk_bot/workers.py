"""Mail analysed in worker processes, each mail under a wall-time and a memory limit.

Why processes and not threads: one crafted mail can make a regular expression backtrack for
minutes or a PDF stream inflate to gigabytes. In the daemon's own process that holds the GIL
(the systemd watchdog ping stops, the unit is restarted, the mail is tried again after every
restart) or takes all memory. In a worker it costs one process: the worker is killed when the
mail overruns ``[workers] timeout_seconds``, and its address space is capped with RLIMIT_AS
at ``memory_mb``, so an allocation beyond it fails there (MemoryError) instead of in the daemon.
A failed mail is tried once more on a fresh worker (the machine may just have been busy), then
its Analysis carries the error ``timeout: ...``, ``memory: ...`` or ``crashed: ...`` and the
pipeline quarantines it with that reason.

Why not concurrent.futures.ProcessPoolExecutor: it cannot kill one stuck task (only the whole
pool, failing every other task with BrokenProcessPool). Here each worker is one process with
its own pipe, driven by one thread of the daemon (a *slot*); a slot waits on its pipe with a
deadline (``Connection.poll``), which releases the GIL, so the daemon's other threads (IMAP,
SMTP, the writer, the watchdog) never wait for an analysis.

Processes come from a ``forkserver`` (forkserver.py) that has imported the analysis code once
(PDF libraries included), so starting or replacing a worker is a fork, not an interpreter start,
and never a fork of the daemon's own threads and connections. The rule set is sent to a worker once per
version. Workers never write the database: they read the extraction cache through a read-only
connection, and what they extracted travels back in the Analysis for the writer to store.

Nothing is lost when a worker dies: the mail is not acknowledged until the writer has committed
its outcome, and an analysis has no side effects, so it can be repeated.
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.connection
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import structlog

from . import forkserver
from .analysis import Analysis, RecordingCache, analyse
from .config import Config, LimitsConfig
from .ruleset import RuleSet

log = structlog.get_logger("helpdesk_bot.workers")

MiB = 1024 * 1024
#: Attempts per mail: the first, and one retry on a fresh worker.
ATTEMPTS = 2
#: Seconds a worker gets to leave after being asked to.
STOP_GRACE = 2.0
#: Seconds a fresh worker gets to start and load a rule set (not part of any mail's limit).
RULES_SECONDS = 120.0


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker process needs besides the mail and the rules (picklable)."""

    limits: LimitsConfig
    own_addresses: frozenset[str]
    #: The database whose extraction cache workers read; "" = no cache.
    cache_path: str = ""
    memory_mb: int = 0
    #: "module:function" called with the raw bytes before each analysis (tests only).
    hook: str = ""

    @classmethod
    def from_config(cls, config: Config, hook: str = "") -> "WorkerSettings":
        path = str(config.resolve(config.storage.database))
        return cls(config.limits, config.own_addresses, path, config.workers.memory_mb, hook)


# -- the worker process ----------------------------------------------------------------------------


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = memory_mb * MiB
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_AS, (want, hard))


def _load_hook(spec: str) -> Callable[[bytes], Any] | None:
    if not spec:
        return None
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def worker_main(conn: multiprocessing.connection.Connection, settings: WorkerSettings) -> None:
    """One worker: receive (rules or None, raw bytes), answer ("ok", Analysis) or ("memory", why)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the daemon's to handle
    from .store import DocCacheReader

    reader = DocCacheReader(settings.cache_path) if settings.cache_path else None
    hook = _load_hook(settings.hook)
    # After the imports and the cache connection: the cap is for what a mail makes us allocate.
    _limit_memory(settings.memory_mb)
    rules: RuleSet | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        kind, payload = message
        if kind == "rules":  # unpickling compiles every pattern: not counted against a mail's time
            rules = payload
            _answer(conn, ("ready", rules.version if rules is not None else ""))
            continue
        raw = payload
        try:
            if hook is not None:
                hook(raw)
            a = analyse(raw, rules, settings.limits, RecordingCache(reader.get if reader else None),
                        settings.own_addresses)
            if a.env is not None:
                a.env.raw = b""  # the daemon has the bytes; do not send them back
        except MemoryError:
            a = None
            _answer(conn, ("memory", f"analysis needed more than workers.memory_mb = {settings.memory_mb} MiB"))
            return  # a fresh process, not one whose heap may be in pieces
        _answer(conn, ("ok", a))


def _answer(conn: multiprocessing.connection.Connection, message: tuple[str, Any]) -> None:
    try:
        conn.send(message)
    except MemoryError:
        conn.send(("memory", "the analysis was too large to send back"))
    except (BrokenPipeError, EOFError, OSError):
        raise SystemExit(0)  # the daemon went away
    except Exception as e:  # an Analysis that does not pickle (a pathological MIME tree)
        conn.send(("ok", Analysis(None, error=f"{type(e).__name__}: analysis result not transferable: {e}")))


# -- the daemon's side -------------------------------------------------------------------------------


class _Worker:
    """One process and the daemon's end of its pipe."""

    def __init__(self, ctx: Any, settings: WorkerSettings):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=worker_main, args=(child, settings), daemon=True, name="helpdesk-analysis")
        self.process.start()
        child.close()
        self.rules_version: str | None = None
        self._conn_lock = threading.Lock()
        self._conn_closed = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def run(self, raw: bytes, rules: RuleSet | None, timeout: float) -> tuple[str, Any]:
        """("ok", Analysis) or (failure kind, why): "timeout", "memory" or "crashed"."""
        version = rules.version if rules is not None else ""
        try:
            if version != self.rules_version:
                # The rules, and the worker's start-up, on their own clock: a mail's limit is its own.
                self.conn.send(("rules", rules))
                if not self.conn.poll(max(timeout, RULES_SECONDS)):
                    return "timeout", "the worker did not load the rules in time"
                kind, value = self.conn.recv()
                self.rules_version = version
            deadline = time.monotonic() + timeout
            self.conn.send(("mail", raw))
            if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                return "timeout", f"analysis took longer than workers.timeout_seconds = {timeout:g} s"
            kind, value = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(STOP_GRACE)
            code = self.process.exitcode
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            return "crashed", f"the analysis process died ({why})"
        if kind == "memory":
            return "memory", str(value)
        return "ok", value

    def terminate(self) -> None:
        """Kill the process only; its slot thread closes the pipe (closing an fd twice could close
        a descriptor another thread has opened since)."""
        try:
            self.process.kill()
        except Exception:
            pass

    def _close_conn(self) -> None:
        with self._conn_lock:
            if not self._conn_closed:
                self._conn_closed = True
                self.conn.close()

    def kill(self) -> None:
        self.terminate()
        self.process.join(STOP_GRACE)
        self._close_conn()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except Exception:
            pass
        self.process.join(STOP_GRACE)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_GRACE)
        self._close_conn()


class PoolClosed(Exception):
    """The pool was closed (the daemon stops): the mail stays unacknowledged for the next run."""


@dataclass
class _Task:
    raw: bytes
    rules: RuleSet | None
    future: Future[Analysis] = field(default_factory=Future)


class WorkerPool:
    """``count`` worker processes, each driven by one slot thread; ``submit`` returns a Future.

    Every Future ends with an Analysis: the worker's, or one whose ``error`` says why the mail
    could not be analysed within its limits ("timeout: ...", "memory: ...", "crashed: ...").
    """

    def __init__(self, settings: WorkerSettings, count: int = 0, timeout: float = 120.0):
        self.settings = settings
        self.count = count or os.cpu_count() or 1
        self.timeout = timeout
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._slots: list[threading.Thread] = []
        self._workers: dict[int, _Worker] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._ctx = forkserver.context()

    @classmethod
    def from_config(cls, config: Config, hook: str = "") -> "WorkerPool":
        return cls(WorkerSettings.from_config(config, hook), config.workers.count, config.workers.timeout_seconds)

    def start(self) -> None:
        """Start the slots, each forking its worker now (the daemon calls this at start-up, so the
        first mail does not wait for the forkserver's imports); ``submit`` calls it too."""
        with self._lock:
            if self._closed:
                raise PoolClosed("worker pool is closed")
            if not self._slots:
                for i in range(self.count):
                    t = threading.Thread(target=self._slot, args=(i,), name=f"analysis-{i}", daemon=True)
                    t.start()
                    self._slots.append(t)

    def submit(self, raw: bytes, rules: RuleSet | None) -> Future[Analysis]:
        self.start()
        task = _Task(raw, rules)
        self._tasks.put(task)
        return task.future

    def analyse(self, raw: bytes, rules: RuleSet | None) -> Analysis:
        return self.submit(raw, rules).result()

    def pids(self) -> list[int]:
        """The worker processes alive now (for tests and `doctor`)."""
        with self._lock:
            return [w.pid for w in self._workers.values() if w.pid is not None and w.process.is_alive()]

    def _new_worker(self, i: int) -> _Worker:
        worker = _Worker(self._ctx, self.settings)
        with self._lock:
            self._workers[i] = worker
        return worker

    def _slot(self, i: int) -> None:
        worker: _Worker | None = None
        try:
            try:
                worker = self._new_worker(i)
            except Exception as e:  # started again for the first mail
                log.error("worker_start_failed", error=f"{type(e).__name__}: {e}")
            while True:
                task = self._tasks.get()
                if task is None:
                    return
                if not task.future.set_running_or_notify_cancel():
                    continue
                try:
                    worker, analysis = self._run(i, worker, task)
                except PoolClosed as e:
                    task.future.set_exception(e)
                    continue
                except BaseException as e:  # never leave a Future unresolved
                    task.future.set_exception(e)
                    raise
                task.future.set_result(analysis)
        finally:
            if worker is not None:
                worker.stop()
            with self._lock:
                self._workers.pop(i, None)

    def _run(self, i: int, worker: _Worker | None, task: _Task) -> tuple[_Worker | None, Analysis]:
        kind, why = "crashed", ""
        started = time.monotonic()
        for attempt in range(1, ATTEMPTS + 1):
            if self._closed:
                raise PoolClosed("worker pool closed while the mail waited for its analysis")
            if worker is None or not worker.process.is_alive():
                if worker is not None:
                    worker.kill()
                worker = self._new_worker(i)
            t0 = time.monotonic()
            kind, value = worker.run(task.raw, task.rules, self.timeout)
            if self._closed:
                raise PoolClosed("worker pool closed during the analysis")
            if kind == "ok":
                a: Analysis = value
                if a.env is not None:
                    a.env.raw = task.raw
                return worker, a
            why = str(value)
            log.warning("analysis_failed", failure=kind, detail=why, attempt=attempt, pid=worker.pid,
                        seconds=round(time.monotonic() - t0, 2), will_retry=attempt < ATTEMPTS)
            worker.kill()
            worker = None
        # The time the mail cost, all attempts included: a killed worker's mail is the one the
        # analysis-seconds histogram must show, not hide as 0.
        return worker, Analysis(None, error=f"{kind}: {why} (tried {ATTEMPTS} times)",
                                seconds=round(time.monotonic() - started, 3))

    def close(self) -> None:
        """Stop the slots and their workers; queued analyses are cancelled."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            slots = list(self._slots)
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                break
            if task is not None:
                task.future.cancel()
        for _ in slots:
            self._tasks.put(None)
        with self._lock:
            workers = list(self._workers.values())
        for w in workers:  # a slot waiting on a long analysis would not see its None for a while
            if w.process.is_alive():
                w.terminate()
        for t in slots:
            t.join(STOP_GRACE * 2)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__ = ["WorkerPool", "WorkerSettings", "worker_main"]
