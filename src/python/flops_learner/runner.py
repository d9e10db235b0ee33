"""The learner's loop: register, long-poll for tasks, train each with a :class:`NumPyClient`, upload, repeat."""

from __future__ import annotations

import math
import os
import platform
import random
import signal
import socket
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

import numpy as np

from .client import LayoutMismatch, NumPyClient
from .gateway import Device, DeviceForgotten, Gateway, GatewayError, UploadAnswer, one_line
from .task import Task, TaskError, check_fits_layout, decode_parameters, encode_parameters, first_non_finite, is_usable_id, split

Log = Callable[[str], None]


@dataclass(frozen=True)
class TaskOutcome:
    """What became of one task: ``outcome`` is ``"accepted"``, ``"refused"`` (the update was answered but not counted) or ``"declined"``."""

    task: Task | None
    task_id: str | None
    round: int | None
    outcome: str
    samples: int | None = None
    loss: float | None = None
    status: int | None = None
    refusal: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RunSummary:
    device_id: str | None
    #: Tasks trained whose update the gateway answered, accepted or refused.
    tasks_trained: int
    updates_accepted: int
    tasks_declined: int


class Backoff:
    """Pauses that double from ``minimum`` up to ``maximum``, each drawn in [half, whole] (jitter), until :meth:`reset`."""

    def __init__(self, minimum: float, maximum: float, rng: random.Random | None = None) -> None:
        if minimum <= 0 or maximum < minimum:
            raise ValueError(f"back-off needs 0 < minimum <= maximum (got {minimum}, {maximum})")
        self.minimum = minimum
        self.maximum = maximum
        self._next = minimum
        self._rng = rng or random.Random()

    def next(self) -> float:
        base = self._next
        self._next = min(self._next * 2, self.maximum)
        return base * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._next = self.minimum


def run(
    gateway: str,
    api_key: str,
    client: NumPyClient,
    *,
    sample_count: int,
    name: str | None = None,
    data_tags: Sequence[str] = ("mnist",),
    cluster: str | None = None,
    ca_file: str | None = None,
    max_tasks: int | None = None,
    stop: threading.Event | None = None,
    poll_wait: int = 20,
    request_timeout: float = 60.0,
    min_backoff: float = 1.0,
    max_backoff: float = 15.0,
    upload_attempts: int = 5,
    handle_signals: bool = True,
    log: Log | None = None,
    on_outcome: Callable[[TaskOutcome], None] | None = None,
) -> RunSummary:
    """Runs a learner until ``stop`` is set, SIGTERM or SIGINT arrives, or ``max_tasks`` tasks were trained and answered.

    Registers with ``gateway`` (``http://`` or ``https://``; ``ca_file`` is a PEM file of the private CA
    that signed an https gateway's certificate) under ``api_key`` as a device holding ``sample_count``
    samples of ``data_tags`` in edge cluster ``cluster`` (``"default"``), then for each task: checks it,
    checks that its layout matches ``client.get_parameters``, downloads the model, calls ``client.fit``,
    uploads the result. A task it cannot take is declined with the reason. Failures of the gateway
    (unreachable, 5xx, a malformed answer) pause the learner ``min_backoff`` seconds, doubling up to
    ``max_backoff``, with jitter; an upload is tried ``upload_attempts`` times. Raises
    :class:`RegistrationRefused` when the gateway refuses the registration (a wrong key, an invalid profile).

    Logs one line per event through ``log`` (default: stdout, prefixed ``flops learner: ``), and hands
    each task's outcome to ``on_outcome``. SIGTERM/SIGINT are handled only when called from the main
    thread with ``handle_signals``; a second SIGINT interrupts at once.
    """
    if sample_count < 1:
        raise ValueError(f"sample_count must be positive (got {sample_count})")
    if max_tasks is not None and max_tasks < 1:
        raise ValueError(f"max_tasks must be positive (got {max_tasks})")
    if upload_attempts < 1:
        raise ValueError(f"upload_attempts must be positive (got {upload_attempts})")
    agent = _Agent(
        Gateway(gateway, api_key, ca_file=ca_file, request_timeout=request_timeout, poll_wait=poll_wait),
        client,
        name=name or f"{socket.gethostname()}-{os.getpid()}",
        data_tags=list(data_tags),
        cluster=cluster or "default",
        sample_count=sample_count,
        max_tasks=max_tasks,
        stop=stop or threading.Event(),
        backoff=Backoff(min_backoff, max_backoff),
        upload_attempts=upload_attempts,
        log=log or _print_line,
        on_outcome=on_outcome,
    )
    with _StopWatch(agent, handle_signals):
        return agent.run()


def _print_line(line: str) -> None:
    print(f"flops learner: {line}", flush=True)


def _capabilities() -> dict[str, Any]:
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = 0
    return {"cores": os.cpu_count() or 1, "memoryBytes": max(0, memory), "platform": f"{sys.platform}-{platform.machine().lower()} python-{platform.python_version()}"}


@dataclass
class _Agent:
    gateway: Gateway
    client: NumPyClient
    name: str
    data_tags: list[str]
    cluster: str
    sample_count: int
    max_tasks: int | None
    stop: threading.Event
    backoff: Backoff
    upload_attempts: int
    log: Log
    on_outcome: Callable[[TaskOutcome], None] | None
    device: Device | None = None
    device_id: str | None = None
    tasks_trained: int = 0
    updates_accepted: int = 0
    tasks_declined: int = 0

    def __post_init__(self) -> None:
        self._finished = _RecentIds(1_000)

    def run(self) -> RunSummary:
        try:
            while not self.stop.is_set() and not self._enough():
                try:
                    if self._work_on_next_task():
                        self.backoff.reset()
                        continue
                    pause = self.backoff.next()
                except DeviceForgotten:
                    if self.stop.is_set():
                        break
                    self.device = None
                    pause = self.backoff.next()
                    self.log(f"the gateway no longer knows this device; registering again in {pause:.3g} s")
                except GatewayError as error:
                    if self.stop.is_set():
                        break
                    pause = self.backoff.next()
                    self.log(f"{error}; retrying in {pause:.3g} s")
                if self.stop.wait(pause):
                    break
        finally:
            self.gateway.close()
        self.log(f"stopped after {self.tasks_trained} rounds")
        return RunSummary(self.device_id, self.tasks_trained, self.updates_accepted, self.tasks_declined)

    def _enough(self) -> bool:
        return self.max_tasks is not None and self.tasks_trained >= self.max_tasks

    def _register(self) -> Device:
        device = self.gateway.register(self.name, self.data_tags, self.cluster, self.sample_count, _capabilities())
        self.device_id = device.id
        self.log(f"registered as {one_line(device.id, 80)} with {self.sample_count} samples, tags {','.join(self.data_tags)}")
        return device

    def _work_on_next_task(self) -> bool:
        """One poll and what follows: True when all went as the protocol says and the next poll may follow at once."""
        device = self.device = self.device or self._register()
        polled = time.monotonic()
        value = self.gateway.next_task(device)
        if value is None:
            # An honest gateway holds the poll until a task comes or the wait is over; one that says
            # "nothing" at once would otherwise have the learner ask again and again.
            return time.monotonic() - polled >= self.gateway.poll_wait / 2

        try:
            task = Task.from_json(value)
        except TaskError as error:
            self._decline(device, None, error.task_id, error.round, error.reason)
            return False

        if task.task_id in self._finished:
            self._decline(device, task, task.task_id, task.round, "this learner already answered the task", quiet=True)
            return False

        config = task.config()
        try:
            check_fits_layout(task, self.client.get_parameters(config), "the client's get_parameters")
        except TaskError as error:
            self._decline(device, task, task.task_id, task.round, f"the task's layout does not fit the local model: {error.reason}")
            return False
        except (LayoutMismatch, KeyError) as error:
            self._decline(device, task, task.task_id, task.round, f"the task's layout does not fit the local model: {_message(error)}")
            return False
        except Exception as error:  # the client's code, as for fit below
            traceback.print_exc(file=sys.stderr)
            self._decline(device, task, task.task_id, task.round, f"the local model cannot give its parameters: {_message(error)}")
            return False

        try:
            body = self.gateway.download_model(device, task)
        except TaskError as error:
            self._decline(device, task, task.task_id, task.round, error.reason)
            return False
        if body is None:
            self.log(f"task {one_line(task.task_id, 80)}: its model is no longer served; the task is over")
            return False

        parameters = split(task, decode_parameters(body, task.parameter_count))
        if (bad := first_non_finite(parameters)) is not None:
            self._decline(device, task, task.task_id, task.round, f"the model holds a non-finite parameter at index {bad}")
            return False

        try:
            result = self.client.fit(parameters, config)
        except Exception as error:  # the client's code: whatever it raises declines the task, never stops the learner
            traceback.print_exc(file=sys.stderr)
            self._decline(device, task, task.task_id, task.round, f"local training failed: {_message(error)}")
            return False

        if self.stop.is_set():
            self.log(f"task {one_line(task.task_id, 80)} (round {task.round}): the learner is stopping; the update is not sent")
            return False

        try:
            trained, samples, loss = self._check_result(task, result)
            update = encode_parameters(task, trained)
        except TaskError as error:
            self._decline(device, task, task.task_id, task.round, error.reason)
            return False

        answer = self._upload(device, task, update, samples, loss)
        if answer is None:
            return False
        self.tasks_trained += 1
        self._finished.add(task.task_id)
        done = f"task {one_line(task.task_id, 80)} (round {task.round}): trained on {samples} samples, loss {_loss_text(loss)}"
        if answer.accepted:
            self.updates_accepted += 1
            self.log(f"{done}, update accepted")
        elif answer.status == 200:
            self.log(f"{done}, update refused: {answer.reason}")
        else:
            self.log(f"{done}, update refused ({answer.status}): {answer.reason}")
            # A refusal is final: retrying the same update cannot change it. Giving the task back
            # lets its round go on without this device rather than wait for its deadline.
            self._tell_decline(device, task.task_id, f"the gateway refused the update ({answer.refusal or answer.status}): {answer.reason}")
        self._report(
            TaskOutcome(
                task,
                task.task_id,
                task.round,
                "accepted" if answer.accepted else "refused",
                samples,
                loss,
                answer.status,
                answer.refusal,
                answer.reason,
            )
        )
        return True

    def _check_result(self, task: Task, result: Any) -> tuple[list[np.ndarray], int, float | None]:
        if not isinstance(result, tuple) or len(result) != 3:
            raise TaskError("the client's fit must return (parameters, num_examples, metrics)")
        trained, samples, metrics = result
        checked = check_fits_layout(task, trained, "the client's fit result")
        if (bad := first_non_finite(checked)) is not None:
            raise TaskError(f"local training diverged (a non-finite parameter at index {bad})")
        if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
            raise TaskError(f"the client's fit must return a positive number of examples (got {samples!r:.40})")
        loss: float | None = None
        if isinstance(metrics, dict) and isinstance(metrics.get("loss"), (int, float, np.floating, np.integer)):
            loss = float(metrics["loss"])
            if not math.isfinite(loss):
                raise TaskError(f"local training diverged (loss {loss})")
        return checked, int(samples), loss

    def _upload(self, device: Device, task: Task, update: bytes, samples: int, loss: float | None) -> UploadAnswer | None:
        """The gateway's answer to the update, tried again after a pause on failures; None when the learner stops first."""
        attempt = 1
        while True:
            try:
                return self.gateway.upload_update(device, task, update, samples, loss)
            except DeviceForgotten:
                raise
            except GatewayError as error:
                if self.stop.is_set() or attempt >= self.upload_attempts:
                    raise
                pause = self.backoff.next()
                self.log(f"task {one_line(task.task_id, 80)}: {error}; trying the upload again in {pause:.3g} s")
                if self.stop.wait(pause):
                    return None
                attempt += 1

    def _decline(self, device: Device, task: Task | None, task_id: str | None, round: int | None, reason: str, *, quiet: bool = False) -> None:
        """Tells the gateway, as a courtesy, that this device will not take the task, so that its round need not wait for it."""
        self.tasks_declined += 1
        reason = one_line(reason, 500)
        if task_id is None or not is_usable_id(task_id):
            self.log(f"a task without a usable id left aside: {reason}")
            self._report(TaskOutcome(task, None, round, "declined", reason=reason))
            return
        self._finished.add(task_id)
        if not quiet:
            self.log(f"task {one_line(task_id, 80)} (round {round}) declined: {reason}")
        self._tell_decline(device, task_id, reason)
        self._report(TaskOutcome(task, task_id, round, "declined", reason=reason))

    def _tell_decline(self, device: Device, task_id: str, reason: str) -> None:
        try:
            status = self.gateway.decline(device, task_id, reason)
            # 404 and 409 mean the task is already gone, which is all the decline asked for.
            if status not in (200, 204, 404, 409):
                self.log(f"the gateway answered {status} to the decline of task {one_line(task_id, 80)}")
        except DeviceForgotten:
            raise
        except GatewayError as error:
            if not self.stop.is_set():
                self.log(f"could not tell the gateway that task {one_line(task_id, 80)} is declined: {error}")

    def _report(self, outcome: TaskOutcome) -> None:
        if self.on_outcome is not None:
            self.on_outcome(outcome)


class _StopWatch:
    """Turns SIGTERM/SIGINT and the ``stop`` event into a prompt stop: the exchange in progress (a long poll) is broken off.

    The signal handler only sets a flag (setting an Event from a handler could deadlock on its lock);
    a watcher thread turns the flag into the event and aborts the gateway's connection.
    """

    def __init__(self, agent: _Agent, handle_signals: bool) -> None:
        self._agent = agent
        self._signalled: int | None = None
        self._done = threading.Event()
        self._previous: dict[int, Any] = {}
        self._handle_signals = handle_signals and threading.current_thread() is threading.main_thread()
        self._watcher = threading.Thread(target=self._watch, name="flops-learner-stop", daemon=True)

    def __enter__(self) -> _StopWatch:
        if self._handle_signals:
            for number in (signal.SIGTERM, signal.SIGINT):
                self._previous[number] = signal.signal(number, self._on_signal)
        self._watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._watcher.join()
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        if number == signal.SIGINT and self._signalled is not None:
            raise KeyboardInterrupt
        self._signalled = number

    def _watch(self) -> None:
        stop = self._agent.stop
        while not self._done.is_set():
            if self._signalled is not None and not stop.is_set():
                self._agent.log(f"{signal.Signals(self._signalled).name} received; stopping")
                stop.set()
            if stop.wait(0.1):
                self._agent.gateway.abort()
                self._done.wait()
                return


class _RecentIds:
    """The last ``capacity`` task ids this learner answered or declined, never to be worked on again."""

    def __init__(self, capacity: int) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._capacity = capacity

    def add(self, task_id: str) -> None:
        if task_id in self._ids:
            return
        self._order.append(task_id)
        self._ids.add(task_id)
        if len(self._order) > self._capacity:
            self._ids.discard(self._order.popleft())

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._ids


def _message(error: BaseException) -> str:
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return one_line(f"{type(error).__name__}: {text}" if text else type(error).__name__)


def _loss_text(loss: float | None) -> str:
    return "n/a" if loss is None else f"{loss:.4f}"
