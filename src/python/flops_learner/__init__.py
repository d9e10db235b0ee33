"""A FLOps learner in Python: wrap a local model in a :class:`NumPyClient` and hand it to :func:`run`.

Only the standard library and NumPy: the learner protocol (register, long-poll a task, download the
global model as float32, upload the trained one) is plain HTTP(S) and JSON, described in the
repository's README ("Learners in any language").
"""

from . import cli
from .client import Config, LayoutMismatch, Metrics, NumPyClient
from .gateway import DeviceForgotten, Gateway, GatewayError, RegistrationRefused
from .runner import Backoff, RunSummary, TaskOutcome, run
from .task import Task, TaskError, Tensor, decode_parameters, encode_parameters, split

__all__ = [
    "Backoff",
    "Config",
    "DeviceForgotten",
    "Gateway",
    "GatewayError",
    "LayoutMismatch",
    "Metrics",
    "NumPyClient",
    "RegistrationRefused",
    "RunSummary",
    "Task",
    "TaskError",
    "TaskOutcome",
    "cli",
    "Tensor",
    "decode_parameters",
    "encode_parameters",
    "run",
    "split",
]

__version__ = "0.1.0"
