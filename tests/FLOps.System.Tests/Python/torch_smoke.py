"""A smoke test of the PyTorch example without a server: the exported ONNX model and the learner's client agree.

    torch_smoke.py MODEL.onnx SHARD.npz

Reads the ONNX initialisers as the service would cut a task's layout from them (name, shape, in
graph order), checks that the untrained model's parameters are those initialisers, then runs the
learner's client on a task of that layout as flops_learner.run would (split the flat vector, fit
twice, encode the update) and prints one JSON line: the layout, the parameter count, both losses
and the update's size.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src" / "python"))
sys.path.insert(0, str(ROOT / "src" / "python" / "examples" / "pytorch_mnist"))

import torch  # noqa: E402

from flops_learner import Task, encode_parameters, split  # noqa: E402
from learner import TorchClient, load_shard  # noqa: E402
from net import untrained  # noqa: E402


def main() -> int:
    model_path, shard_path = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    graph = onnx.load(model_path).graph
    initialisers = [(tensor.name, numpy_helper.to_array(tensor).astype(np.float32)) for tensor in graph.initializer]
    layout = [{"name": name, "shape": list(values.shape)} for name, values in initialisers]
    vector = np.concatenate([values.reshape(-1) for _, values in initialisers])
    task = Task.from_json(
        {
            "taskId": "smoke/1",
            "projectId": "smoke",
            "round": 1,
            "modelHash": "h",
            "parameterCount": int(vector.size),
            "model": {"kind": "onnx"},
            "localEpochs": 1,
            "batchSize": 16,
            "learningRate": 0.05,
            "proximalMu": 0.0,
            "momentum": 0.9,
            "seed": 1,
            "layout": layout,
        }
    )

    images, labels = load_shard(shard_path)
    client = TorchClient(untrained(seed=0), images, labels)
    config = task.config()
    own = client.get_parameters(config)
    assert [a.shape for a in own] == [t.shape for t in task.layout], "the model's tensors are not the ONNX initialisers' shapes"
    assert all(np.array_equal(a, b) for a, (_, b) in zip(own, initialisers)), "the exported weights are not the untrained model's"

    first, samples, metrics = client.fit(split(task, vector), config)
    second, _, later = client.fit(first, config)
    update = encode_parameters(task, second)
    print(
        json.dumps(
            {
                "layout": [f"{t.name}{list(t.shape)}" for t in task.layout],
                "parameters": int(vector.size),
                "samples": samples,
                "firstLoss": metrics["loss"],
                "secondLoss": later["loss"],
                "updateBytes": len(update),
                "changed": not np.array_equal(np.frombuffer(update, dtype="<f4"), vector),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
