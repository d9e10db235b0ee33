"""The reference CNN of issue 15 in PyTorch, on the bundled MNIST split, for compare_pytorch.sh.

Modes:
  throughput: trains on the first --samples training digits for --repeats timed epochs (after a
              warm-up) and prints the best and median samples per second.
  federated:  FedAvg over --devices IID shards (--rounds rounds, --epochs local epochs, a fresh
              SGD optimiser per device and round), printing test accuracy after every round.

Output lines start with "pytorch " and hold key=value pairs, so the shell script can read them.
"""
import argparse
import gzip
import struct
import time

import numpy as np
import torch
from torch import nn


def load_mnist(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, version, count, features, train = data[:4], *struct.unpack("<iiii", data[4:20])
    assert magic == b"MNST" and version == 1 and features == 784, (magic, version, features)
    labels = np.frombuffer(data, dtype=np.uint8, count=count, offset=20).astype(np.int64)
    pixels = np.frombuffer(data, dtype=np.uint8, count=count * features, offset=20 + count)
    x = (pixels.astype(np.float32) / np.float32(255)).reshape(count, 1, 28, 28)
    return (torch.from_numpy(x[:train].copy()), torch.from_numpy(labels[:train].copy()),
            torch.from_numpy(x[train:].copy()), torch.from_numpy(labels[train:].copy()))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(1600, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def train(model, x, y, epochs, batch, lr, momentum, generator):
    optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch):
            index = order[start:start + batch]
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimiser.step()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["throughput", "federated"])
    parser.add_argument("--data", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=8000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_mnist(args.data)
    generator = torch.Generator().manual_seed(args.seed)
    model = Cnn()
    parameters = sum(p.numel() for p in model.parameters())

    if args.mode == "throughput":
        x, y = x_train[:args.samples], y_train[:args.samples]
        train(model, x[:20 * args.batch], y[:20 * args.batch], 1, args.batch, args.lr, args.momentum, generator)  # warm-up
        rates = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            train(model, x, y, 1, args.batch, args.lr, args.momentum, generator)
            rates.append(len(y) / (time.perf_counter() - start))
        rates.sort()
        print(f"pytorch threads={torch.get_num_threads()} parameters={parameters} samples={len(y)} batch={args.batch} "
              f"best={rates[-1]:.1f} median={rates[len(rates) // 2]:.1f}", flush=True)
        return

    start = time.perf_counter()
    shards = torch.randperm(len(y_train), generator=generator).chunk(args.devices)
    global_state = {k: v.clone() for k, v in model.state_dict().items()}
    for round_ in range(1, args.rounds + 1):
        total = {k: torch.zeros_like(v) for k, v in global_state.items()}
        for shard in shards:
            model.load_state_dict(global_state)
            train(model, x_train[shard], y_train[shard], args.epochs, args.batch, args.lr, args.momentum, generator)
            for k, v in model.state_dict().items():
                total[k] += v * len(shard)
        global_state = {k: v / len(y_train) for k, v in total.items()}
        model.load_state_dict(global_state)
        print(f"pytorch round={round_} accuracy={accuracy(model, x_test, y_test):.4f} "
              f"seconds={time.perf_counter() - start:.1f}", flush=True)


if __name__ == "__main__":
    main()
