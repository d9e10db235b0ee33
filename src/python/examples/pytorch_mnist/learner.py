"""A FLOps learner that trains a PyTorch model: the CNN of net.py on an MNIST shard from ``flops data export``.

    flops data export mnist --shard 0/3 --out shard.npz
    PYTHONPATH=src/python python3 src/python/examples/pytorch_mnist/learner.py \\
        --gateway http://127.0.0.1:5080 --api-key k1 --shard shard.npz

The task's ``layout`` names the tensors of the flat float32 vector (for a model uploaded from
export_onnx.py: ``conv1.weight``, ``conv1.bias``, …, the initialisers of the ONNX graph). The
client maps each name onto the tensor of the model's state_dict of that name; state_dict entries
the layout does not name (buffers such as batch-norm statistics) are left as they are, and a name
the model does not have declines the task.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # src/python, for flops_learner

import flops_learner  # noqa: E402
import flops_learner.cli  # noqa: E402
from flops_learner import Config, LayoutMismatch, Metrics, NumPyClient  # noqa: E402
from net import untrained  # noqa: E402


def load_shard(path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``flops data export``'s .npz as images [n, 1, 28, 28] (pixels scaled to 0..1, as exported) and labels [n]."""
    with np.load(path) as archive:
        x = np.asarray(archive["x"], dtype=np.float32)
        y = np.asarray(archive["y"], dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != 28 * 28 or y.shape != (x.shape[0],):
        raise ValueError(f"{path}: x must be [n, 784] and y [n] (got {x.shape} and {y.shape})")
    return torch.from_numpy(x.reshape(-1, 1, 28, 28).copy()), torch.from_numpy(y.copy())


def train(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float = 0.0,
    proximal_mu: float = 0.0,
    seed: int = 0,
) -> float:
    """Seeded mini-batch SGD on the mean cross-entropy (plus FedProx's (mu/2)·||w - w0||²); returns the last epoch's mean loss."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)
    start = [p.detach().clone() for p in model.parameters()] if proximal_mu > 0 else []
    model.train()
    loss_sum = 0.0
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        loss_sum = 0.0
        for first in range(0, len(labels), batch_size):
            batch = order[first : first + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
            loss_sum += float(loss.detach()) * len(batch)
            if proximal_mu > 0:
                loss = loss + proximal_mu / 2 * sum(torch.sum((p - p0) ** 2) for p, p0 in zip(model.parameters(), start))
            loss.backward()
            optimizer.step()
    return loss_sum / len(labels)


class TorchClient(NumPyClient):
    """Wraps ``model``: parameters travel by the names of the task's layout, looked up in its state_dict."""

    def __init__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.model = model
        self.images = images
        self.labels = labels

    def _tensors(self, config: Config) -> list[tuple[str, torch.Tensor]]:
        state = self.model.state_dict()
        names = config.get("layout_names") or [name for name, _ in self.model.named_parameters()]
        missing = [name for name in names if name not in state]
        if missing:
            raise LayoutMismatch(f"the model has no tensor {', '.join(repr(n) for n in missing[:5])} (it has {', '.join(list(state)[:8])})")
        return [(name, state[name]) for name in names]

    def get_parameters(self, config: Config) -> list[np.ndarray]:
        return [tensor.detach().cpu().numpy().astype(np.float32, copy=True) for _, tensor in self._tensors(config)]

    def set_parameters(self, parameters: list[np.ndarray], config: Config) -> None:
        with torch.no_grad():
            for (name, tensor), values in zip(self._tensors(config), parameters):
                tensor.copy_(torch.from_numpy(np.asarray(values, dtype=np.float32)).reshape(tensor.shape))

    def fit(self, parameters: list[np.ndarray], config: Config) -> tuple[list[np.ndarray], int, Metrics]:
        self.set_parameters(parameters, config)
        loss = train(
            self.model,
            self.images,
            self.labels,
            epochs=int(config["local_epochs"]),
            batch_size=int(config["batch_size"]),
            learning_rate=float(config["learning_rate"]),
            momentum=float(config.get("momentum", 0.0)),
            proximal_mu=float(config.get("proximal_mu", 0.0)),
            seed=int(config["seed"]),
        )
        return self.get_parameters(config), len(self.labels), {"loss": loss}

    def evaluate(self, parameters: list[np.ndarray], config: Config) -> tuple[float, int, Metrics]:
        self.set_parameters(parameters, config)
        self.model.eval()
        with torch.no_grad():
            logits = self.model(self.images)
            loss = float(nn.functional.cross_entropy(logits, self.labels))
            accuracy = float((logits.argmax(dim=1) == self.labels).float().mean())
        return loss, len(self.labels), {"accuracy": accuracy}


def main(argv: list[str] | None = None) -> int:
    parser = flops_learner.cli.argument_parser("A FLOps learner training the PyTorch MNIST CNN on a shard from `flops data export`")
    parser.add_argument("--shard", required=True, help="an .npz written by `flops data export mnist --shard K/N --out FILE.npz`")
    parser.add_argument("--threads", type=int, default=1, help="threads PyTorch may use (default 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    images, labels = load_shard(args.shard)
    return flops_learner.cli.run_from(args, TorchClient(untrained(), images, labels), sample_count=len(labels))


if __name__ == "__main__":
    sys.exit(main())
