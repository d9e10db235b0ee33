"""A FLOps learner in NumPy alone: multinomial logistic regression (the service's ``softmax`` model) on an MNIST shard.

    flops data export mnist --shard 0/3 --out shard.npz
    PYTHONPATH=src/python python3 src/python/examples/numpy_softmax/learner.py \\
        --gateway http://127.0.0.1:5080 --api-key k1 --shard shard.npz

It trains the tensors of a ``model: { kind: "softmax" }`` project: ``W`` [classes, inputs] and
``b`` [classes], logits = W·x + b, by seeded mini-batch SGD on the mean cross-entropy (plus
FedProx's (mu/2)·||w - w0||² when the task sets ``proximalMu``, and momentum when it sets one).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # src/python, for flops_learner

import flops_learner  # noqa: E402
import flops_learner.cli  # noqa: E402
from flops_learner import Config, LayoutMismatch, Metrics, NumPyClient  # noqa: E402


def load_shard(path: str) -> tuple[np.ndarray, np.ndarray]:
    """``flops data export``'s .npz: x float32 [n, 784] (pixels scaled to 0..1), y int64 [n]."""
    with np.load(path) as archive:
        x = np.ascontiguousarray(archive["x"], dtype=np.float32)
        y = np.ascontiguousarray(archive["y"], dtype=np.int64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"{path}: x must be [n, features] and y [n] (got {x.shape} and {y.shape})")
    return x, y


class SoftmaxClient(NumPyClient):
    """Softmax regression over ``x`` [n, inputs] with labels ``y`` in 0..classes-1."""

    def __init__(self, x: np.ndarray, y: np.ndarray, classes: int = 10) -> None:
        self.x = x
        self.y = y
        self.weights = np.zeros((classes, x.shape[1]), dtype=np.float32)
        self.bias = np.zeros(classes, dtype=np.float32)

    def get_parameters(self, config: Config) -> list[np.ndarray]:
        names = config.get("layout_names", ["W", "b"])
        if list(names) != ["W", "b"]:
            raise LayoutMismatch(f"a softmax model has tensors W and b, not {', '.join(names)}")
        return [self.weights.copy(), self.bias.copy()]

    def fit(self, parameters: list[np.ndarray], config: Config) -> tuple[list[np.ndarray], int, Metrics]:
        weights, bias = (np.array(p, dtype=np.float32) for p in parameters)
        if weights.shape[1] != self.x.shape[1] or int(self.y.max()) >= weights.shape[0]:
            raise LayoutMismatch(f"the model takes {weights.shape[1]} inputs and {weights.shape[0]} classes; the data has {self.x.shape[1]} features, labels up to {int(self.y.max())}")
        loss = train(
            weights,
            bias,
            self.x,
            self.y,
            epochs=int(config["local_epochs"]),
            batch_size=int(config["batch_size"]),
            learning_rate=float(config["learning_rate"]),
            proximal_mu=float(config.get("proximal_mu", 0.0)),
            momentum=float(config.get("momentum", 0.0)),
            seed=int(config["seed"]),
        )
        self.weights, self.bias = weights, bias
        return [weights, bias], len(self.y), {"loss": loss}

    def evaluate(self, parameters: list[np.ndarray], config: Config) -> tuple[float, int, Metrics]:
        weights, bias = parameters
        probabilities = _softmax(self.x @ weights.T + bias)
        loss = float(-np.mean(np.log(probabilities[np.arange(len(self.y)), self.y] + 1e-12)))
        accuracy = float(np.mean(np.argmax(probabilities, axis=1) == self.y))
        return loss, len(self.y), {"accuracy": accuracy}


def train(
    weights: np.ndarray,
    bias: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    proximal_mu: float = 0.0,
    momentum: float = 0.0,
    seed: int = 0,
) -> float:
    """Trains ``weights`` and ``bias`` in place; returns the mean cross-entropy of the last epoch. Same seed, same result."""
    rng = np.random.default_rng(seed % 2**32)  # the task's seed is a 32-bit signed integer, maybe negative
    start_weights, start_bias = weights.copy(), bias.copy()
    velocity_w, velocity_b = np.zeros_like(weights), np.zeros_like(bias)
    lr = np.float32(learning_rate)
    loss = 0.0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        total = 0.0
        for start in range(0, len(y), batch_size):
            batch = order[start : start + batch_size]
            probabilities = _softmax(x[batch] @ weights.T + bias)
            rows = np.arange(len(batch))
            total += float(-np.sum(np.log(probabilities[rows, y[batch]] + np.float32(1e-12))))
            probabilities[rows, y[batch]] -= 1
            probabilities /= np.float32(len(batch))
            grad_w = probabilities.T @ x[batch]
            grad_b = probabilities.sum(axis=0)
            if proximal_mu > 0:
                grad_w += np.float32(proximal_mu) * (weights - start_weights)
                grad_b += np.float32(proximal_mu) * (bias - start_bias)
            if momentum > 0:
                velocity_w = np.float32(momentum) * velocity_w + grad_w
                velocity_b = np.float32(momentum) * velocity_b + grad_b
                grad_w, grad_b = velocity_w, velocity_b
            weights -= lr * grad_w
            bias -= lr * grad_b
        loss = total / len(y)
    return loss


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    probabilities: np.ndarray = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return probabilities


def main(argv: list[str] | None = None) -> int:
    parser = flops_learner.cli.argument_parser("A FLOps learner: softmax regression in NumPy on a shard from `flops data export`")
    parser.add_argument("--shard", required=True, help="an .npz written by `flops data export mnist --shard K/N --out FILE.npz`")
    args = parser.parse_args(argv)
    x, y = load_shard(args.shard)
    return flops_learner.cli.run_from(args, SoftmaxClient(x, y), sample_count=len(y))


if __name__ == "__main__":
    sys.exit(main())
