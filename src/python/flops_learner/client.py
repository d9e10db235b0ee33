"""What a learner implements: a model that trains locally, seen as a list of NumPy arrays."""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

#: The ``config`` a client receives: see :meth:`flops_learner.task.Task.config` for its keys.
Config = dict[str, Any]
Metrics = dict[str, Any]


class LayoutMismatch(ValueError):
    """Raised by a client whose model cannot take the task's layout (a tensor it does not have, another shape).

    The learner declines the task with this message as the reason.
    """


class NumPyClient(abc.ABC):
    """A local model, in the spirit of Flower's ``NumPyClient``.

    Parameters travel as a list of float32 arrays, one per tensor of the task's ``layout``, in its
    order and with its shapes. ``config`` holds the task's training settings:

    ``local_epochs``, ``batch_size``, ``learning_rate``, ``proximal_mu`` (FedProx's mu, 0 for none),
    ``momentum`` (only when the task sets one), ``seed`` (a 32-bit signed integer, which may be
    negative: ``seed % 2**32`` for NumPy's generators), ``round``, ``task_id``, ``project_id``,
    ``model_kind`` and ``layout_names`` / ``layout_shapes`` (the tensors, in order).
    """

    @abc.abstractmethod
    def get_parameters(self, config: Config) -> list[np.ndarray]:
        """The model's current parameters, one array per tensor of ``config["layout_names"]``, in that order.

        Called for every task before anything is downloaded: a task whose layout does not match
        these shapes is declined. Raise :class:`LayoutMismatch` to decline it with your own reason.
        """

    @abc.abstractmethod
    def fit(self, parameters: list[np.ndarray], config: Config) -> tuple[list[np.ndarray], int, Metrics]:
        """Trains from the global model ``parameters`` on the local data.

        Returns the trained parameters (same count, order and shapes as ``parameters``), the number
        of local samples trained on (the update's weight in the federated average) and metrics, of
        which ``"loss"`` (the average training loss) is reported to the service when it is a finite number.
        """

    def evaluate(self, parameters: list[np.ndarray], config: Config) -> tuple[float, int, Metrics]:
        """Evaluates ``parameters`` on local data: (loss, number of samples, metrics).

        Optional. The service evaluates the global model centrally and hands out no evaluation
        tasks yet, so :func:`flops_learner.run` does not call it; it is here for Flower-style code.
        """
        raise NotImplementedError(f"{type(self).__name__} does not evaluate")
