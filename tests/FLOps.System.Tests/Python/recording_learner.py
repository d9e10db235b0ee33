"""The NumPy softmax example learner, recording what it does for the system tests to check.

    recording_learner.py --gateway URL --api-key KEY --shard FILE.npz --name NAME --record DIR [--extra-float]

For every task it answers it writes, under DIR, NAME.r<round>.base.f32 (the global model it
downloaded), NAME.r<round>.update.f32 (the update it sent) as raw little-endian float32 in layout
order, and NAME.r<round>.json ({taskId, round, modelHash, samples, outcome, status, refusal}),
the JSON last, so that a test that sees it finds the other two whole. With --extra-float every
upload carries one float32 more than the model has: a learner whose layout is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src" / "python"))
sys.path.insert(0, str(ROOT / "src" / "python" / "examples" / "numpy_softmax"))

import flops_learner  # noqa: E402
from flops_learner import Config, Metrics, TaskOutcome  # noqa: E402
from flops_learner.gateway import Gateway  # noqa: E402
from learner import SoftmaxClient, load_shard  # noqa: E402


def flat(arrays: list[np.ndarray]) -> bytes:
    return bytes(np.concatenate([np.asarray(a, dtype="<f4").reshape(-1) for a in arrays]).tobytes())


def write_whole(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class RecordingClient(SoftmaxClient):
    def __init__(self, x: np.ndarray, y: np.ndarray, record: Path, name: str) -> None:
        super().__init__(x, y)
        self.record = record
        self.name = name

    def fit(self, parameters: list[np.ndarray], config: Config) -> tuple[list[np.ndarray], int, Metrics]:
        prefix = f"{self.name}.r{config['round']}"
        write_whole(self.record / f"{prefix}.base.f32", flat(parameters))
        trained, samples, metrics = super().fit(parameters, config)
        write_whole(self.record / f"{prefix}.update.f32", flat(trained))
        return trained, samples, metrics


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--shard", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--extra-float", action="store_true")
    args = parser.parse_args()
    record = Path(args.record)
    record.mkdir(parents=True, exist_ok=True)

    if args.extra_float:
        upload = Gateway.upload_update

        def upload_one_float_too_many(self: Gateway, device: Any, task: Any, body: bytes, samples: int, loss: float | None) -> Any:
            return upload(self, device, task, body + np.float32(0).tobytes(), samples, loss)

        Gateway.upload_update = upload_one_float_too_many  # type: ignore[assignment]

    def on_outcome(outcome: TaskOutcome) -> None:
        if outcome.task is None or outcome.outcome == "declined":
            return
        summary = {
            "taskId": outcome.task_id,
            "round": outcome.round,
            "modelHash": outcome.task.model_hash,
            "samples": outcome.samples,
            "outcome": outcome.outcome,
            "status": outcome.status,
            "refusal": outcome.refusal,
        }
        write_whole(record / f"{args.name}.r{outcome.round}.json", json.dumps(summary).encode())

    x, y = load_shard(args.shard)
    flops_learner.run(args.gateway, args.api_key, RecordingClient(x, y, record, args.name), name=args.name, sample_count=len(y), on_outcome=on_outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
