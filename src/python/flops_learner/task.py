"""A task as the gateway hands it out, and the flat float32 vector its model travels as.

The gateway is a peer on the network, not part of this process: every field of a task is checked
before anything is downloaded or trained, and a task that does not hold together is refused with a
reason that names the field as the wire spells it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Largest model a learner downloads and trains: 200 MB of float32 (as the C# learner).
MAX_PARAMETER_COUNT = 50_000_000
MAX_ID_LENGTH = 256
MAX_LOCAL_EPOCHS = 1_000
MAX_BATCH_SIZE = 100_000

#: The wire format of every model and update: little-endian IEEE 754 float32, no header.
FLOAT32_LE = np.dtype("<f4")


class TaskError(ValueError):
    """A task this learner cannot take. ``task_id`` is set when the task can still be declined by id."""

    def __init__(self, reason: str, task_id: str | None = None, round: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.task_id = task_id
        self.round = round


@dataclass(frozen=True)
class Tensor:
    """One named tensor of the model, a stretch of the flat vector in row-major (C) order."""

    name: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __str__(self) -> str:
        return f"{self.name}{list(self.shape)}"


@dataclass(frozen=True)
class Task:
    """A training task: train ``model_hash`` (``parameter_count`` float32 cut by ``layout``) on local data."""

    task_id: str
    project_id: str
    round: int
    model_hash: str
    parameter_count: int
    model: Mapping[str, Any]
    local_epochs: int
    batch_size: int
    learning_rate: float
    proximal_mu: float
    seed: int
    layout: tuple[Tensor, ...]
    momentum: float | None = None
    #: The task's JSON as received, for fields this package does not know (yet).
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, value: Any) -> Task:
        """The task in ``value`` (parsed JSON), or :class:`TaskError` naming what is wrong. Unknown fields are ignored."""
        if not isinstance(value, Mapping):
            raise TaskError("the answer holds no task")

        task_id = value.get("taskId")
        usable_id = task_id if is_usable_id(task_id) else None
        round_number = value.get("round") if _is_int(value.get("round")) else None

        def refuse(reason: str) -> TaskError:
            return TaskError(reason, usable_id, round_number)

        for name in ("taskId", "projectId", "modelHash"):
            given = value.get(name)
            if not isinstance(given, str) or not given.strip():
                raise refuse(f"the task has no {name}")
            if len(given) > MAX_ID_LENGTH:
                raise refuse(f"{name} is {len(given)} characters long, more than {MAX_ID_LENGTH}")

        round_value = _int_field(value, "round", 0, 2**31 - 1, refuse)
        parameter_count = _int_field(value, "parameterCount", 1, MAX_PARAMETER_COUNT, refuse)
        local_epochs = _int_field(value, "localEpochs", 1, MAX_LOCAL_EPOCHS, refuse)
        batch_size = _int_field(value, "batchSize", 1, MAX_BATCH_SIZE, refuse)
        seed = _int_field(value, "seed", -(2**31), 2**31 - 1, refuse)
        learning_rate = _float_field(value, "learningRate", refuse, positive=True)
        proximal_mu = _float_field(value, "proximalMu", refuse, positive=False)
        momentum = _float_field(value, "momentum", refuse, positive=False) if value.get("momentum") is not None else None

        model = value.get("model")
        if not isinstance(model, Mapping):
            raise refuse("the task has no model")

        layout = _layout(value.get("layout"), refuse)
        total = sum(tensor.size for tensor in layout)
        if total != parameter_count:
            raise refuse(f"the task's layout holds {total} parameters but parameterCount is {parameter_count}")

        return cls(
            task_id=value["taskId"],
            project_id=value["projectId"],
            round=round_value,
            model_hash=value["modelHash"],
            parameter_count=parameter_count,
            model=dict(model),
            local_epochs=local_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            proximal_mu=proximal_mu,
            seed=seed,
            layout=layout,
            momentum=momentum,
            raw=dict(value),
        )

    @property
    def layout_names(self) -> list[str]:
        return [tensor.name for tensor in self.layout]

    def config(self) -> dict[str, Any]:
        """What :meth:`NumPyClient.fit` and :meth:`NumPyClient.get_parameters` receive as ``config``."""
        config: dict[str, Any] = {
            "task_id": self.task_id,
            "project_id": self.project_id,
            "round": self.round,
            "model_kind": self.model.get("kind"),
            "local_epochs": self.local_epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "proximal_mu": self.proximal_mu,
            "seed": self.seed,
            "layout_names": self.layout_names,
            "layout_shapes": [tensor.shape for tensor in self.layout],
        }
        if self.momentum is not None:
            config["momentum"] = self.momentum
        return config


def is_usable_id(value: Any) -> bool:
    """Whether ``value`` can name a task in a decline and in a log line."""
    return isinstance(value, str) and bool(value.strip()) and len(value) <= MAX_ID_LENGTH


def decode_parameters(body: bytes, parameter_count: int) -> np.ndarray:
    """The model's ``body`` (raw little-endian float32) as a native float32 vector, which must hold exactly ``parameter_count`` values."""
    if len(body) != parameter_count * FLOAT32_LE.itemsize:
        raise TaskError(f"the model is {len(body)} bytes, not the {parameter_count * FLOAT32_LE.itemsize} of {parameter_count} float32")
    return np.frombuffer(body, dtype=FLOAT32_LE).astype(np.float32)


def split(task: Task, vector: np.ndarray) -> list[np.ndarray]:
    """Cuts the flat vector into the task's tensors, in layout order, each a writable array of its shape."""
    if vector.shape != (task.parameter_count,):
        raise TaskError(f"the vector holds {vector.size} parameters but the task has {task.parameter_count}")
    arrays: list[np.ndarray] = []
    offset = 0
    for tensor in task.layout:
        arrays.append(np.array(vector[offset : offset + tensor.size], dtype=np.float32).reshape(tensor.shape))
        offset += tensor.size
    return arrays


def check_fits_layout(task: Task, arrays: Sequence[Any], what: str) -> list[np.ndarray]:
    """``arrays`` as float32 arrays if they are the task's tensors in order (count and shapes); otherwise :class:`TaskError` naming the first that is not."""
    if isinstance(arrays, np.ndarray) or not isinstance(arrays, Sequence):
        raise TaskError(f"{what} is not a list of arrays (got {type(arrays).__name__})", task.task_id, task.round)
    if len(arrays) != len(task.layout):
        raise TaskError(
            f"{what} holds {len(arrays)} arrays but the task's layout has {len(task.layout)}: {', '.join(map(str, task.layout))}",
            task.task_id,
            task.round,
        )
    checked: list[np.ndarray] = []
    for index, (array, tensor) in enumerate(zip(arrays, task.layout)):
        values = np.asarray(array)
        if values.shape != tensor.shape:
            raise TaskError(
                f"{what}[{index}] has shape {list(values.shape)} but the task's tensor {tensor.name} has {list(tensor.shape)}",
                task.task_id,
                task.round,
            )
        checked.append(values.astype(np.float32, copy=False))
    return checked


def encode_parameters(task: Task, arrays: Sequence[Any]) -> bytes:
    """The update's body: ``arrays`` (checked against the layout) flattened row-major in layout order, as little-endian float32."""
    checked = check_fits_layout(task, arrays, "the update")
    vector = np.concatenate([array.reshape(-1) for array in checked]).astype(FLOAT32_LE, copy=False)
    body: bytes = vector.tobytes()
    return body


def first_non_finite(arrays: Sequence[np.ndarray]) -> int | None:
    """The flat index of the first NaN or infinity across ``arrays``, or None."""
    offset = 0
    for array in arrays:
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size:
            return offset + int(bad[0])
        offset += array.size
    return None


def _is_int(value: Any) -> bool:
    # JSON true/false parse as bool, which Python counts as int.
    return isinstance(value, int) and not isinstance(value, bool)


def _int_field(value: Mapping[str, Any], name: str, low: int, high: int, refuse: Any) -> int:
    given = value.get(name)
    if given is None:
        raise refuse(f"the task has no {name}")
    if not _is_int(given):
        raise refuse(f"{name} must be a whole number (got {given!r:.40})")
    if not low <= given <= high:
        raise refuse(f"{name} must be between {low} and {high} (got {given})")
    return int(given)


def _float_field(value: Mapping[str, Any], name: str, refuse: Any, *, positive: bool) -> float:
    given = value.get(name)
    if given is None:
        raise refuse(f"the task has no {name}")
    if not isinstance(given, (int, float)) or isinstance(given, bool):
        raise refuse(f"{name} must be a number (got {given!r:.40})")
    number = float(given)
    # Trainers work in float32: a double that is finite may still overflow there.
    if not math.isfinite(number) or abs(number) > float(np.finfo(np.float32).max):
        raise refuse(f"{name} must be a finite number (got {given})")
    if positive and number <= 0:
        raise refuse(f"{name} must be a finite positive number (got {given})")
    if not positive and number < 0:
        raise refuse(f"{name} must be a finite number of at least 0 (got {given})")
    return number


def _layout(value: Any, refuse: Any) -> tuple[Tensor, ...]:
    if value is None:
        raise refuse("the task has no layout (a gateway that predates the layout cannot hand tasks to this learner)")
    if not isinstance(value, list) or not value:
        raise refuse("layout must be a non-empty list of {name, shape}")
    tensors: list[Tensor] = []
    names: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise refuse(f"layout[{index}] is not an object")
        name, shape = item.get("name"), item.get("shape")
        if not isinstance(name, str) or not name or len(name) > MAX_ID_LENGTH:
            raise refuse(f"layout[{index}].name must be 1 to {MAX_ID_LENGTH} characters")
        if name in names:
            raise refuse(f"layout names the tensor '{name}' twice")
        if not isinstance(shape, list) or not all(_is_int(d) and 0 <= d <= MAX_PARAMETER_COUNT for d in shape):
            raise refuse(f"layout[{index}].shape must be a list of sizes from 0 to {MAX_PARAMETER_COUNT}")
        tensor = Tensor(name, tuple(int(d) for d in shape))
        if tensor.size > MAX_PARAMETER_COUNT:
            raise refuse(f"layout[{index}] ({tensor}) holds more than {MAX_PARAMETER_COUNT} parameters")
        names.add(name)
        tensors.append(tensor)
    return tuple(tensors)
