"""Writes the untrained CNN of net.py as ONNX, for a project with ``model: { kind: "onnx", modelId }``.

    python3 src/python/examples/pytorch_mnist/export_onnx.py --out cnn.onnx
    flops submit spec.json --model cnn.onnx

The graph takes ``input`` [N, 1, 28, 28] float (N dynamic) and gives ``logits`` [N, 10]. Constant
folding is off and the parameters are exported, so each trainable tensor is an initialiser under
its PyTorch name (``conv1.weight``, …): the names the task's ``layout`` then carries, which the
learner maps back onto the model's state_dict.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from net import untrained  # noqa: E402


def export(path: str, seed: int = 0) -> list[tuple[str, tuple[int, ...]]]:
    """Exports the model; returns its trainable tensors (name, shape) in the module's order."""
    model = untrained(seed).eval()
    torch.onnx.export(
        model,
        torch.zeros(1, 1, 28, 28),
        path,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
        export_params=True,
        do_constant_folding=False,
    )
    return [(name, tuple(parameter.shape)) for name, parameter in model.named_parameters()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export the untrained MNIST CNN as ONNX")
    parser.add_argument("--out", default="cnn.onnx", help="the ONNX file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    args = parser.parse_args(argv)
    tensors = export(args.out, args.seed)
    count = sum(int(torch.Size(shape).numel()) for _, shape in tensors)
    print(f"wrote {args.out}: {count} parameters in {len(tensors)} tensors: " + ", ".join(f"{name}{list(shape)}" for name, shape in tensors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
