"""Benchmark: seconds per training epoch of our NumPy MLP, optionally against PyTorch CPU.

One epoch = 60000 samples (shuffled each epoch, mini-batches by index slicing)
through a 784-1024-1024-10 ReLU net, softmax cross-entropy, SGD with momentum
0.9 and lr 0.01, batch 128. PyTorch (never a project dependency) runs in a
persistent subprocess of a separate interpreter given by ``--torch-python``;
the two engines alternate epoch by epoch so background load hits both alike.

Usage::

    python bench/epoch_speed.py --epochs 5 --torch-python /tmp/torchvenv/bin/python

Appends the figures to bench/results/epoch_speed.json ("latest" and "runs") and
epoch_speed.md (one line per run) and prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path



def _threads_from_argv(argv: list[str]) -> int:
    """The ``--threads`` value, read before NumPy is imported (OpenBLAS reads its env only at load)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--threads", type=int, default=os.cpu_count())
    return pre.parse_known_args(argv)[0].threads


THREADS = _threads_from_argv(sys.argv[1:])
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from digit_classifier.nn import MLP, SGD, softmax_cross_entropy  # noqa: E402

LAYERS = (784, 1024, 1024, 10)
LR, MOMENTUM = 0.01, 0.9

# Runs inside the torch interpreter: reads commands on stdin, answers one line of JSON each.
TORCH_WORKER = r"""
import json, os, sys, time
import numpy as np
import torch
torch.set_num_threads(int(sys.argv[7]))
data_path, batch_size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
arrays = np.load(data_path)
X = torch.from_numpy(arrays["X"]); y = torch.from_numpy(arrays["y"].astype(np.int64))
torch.manual_seed(seed)
layers = json.loads(sys.argv[4])
mods = []
for i, (a, b) in enumerate(zip(layers[:-1], layers[1:])):
    mods.append(torch.nn.Linear(a, b))
    if i < len(layers) - 2:
        mods.append(torch.nn.ReLU())
net = torch.nn.Sequential(*mods)
opt = torch.optim.SGD(net.parameters(), lr=float(sys.argv[5]), momentum=float(sys.argv[6]))
loss_fn = torch.nn.CrossEntropyLoss()
gen = torch.Generator().manual_seed(seed)

def epoch(limit=None):
    perm = torch.randperm(X.shape[0], generator=gen)
    n = X.shape[0] if limit is None else min(limit, X.shape[0])
    start = time.perf_counter()
    for s in range(0, n, batch_size):
        idx = perm[s:s + batch_size]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(X[idx]), y[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - start, loss.item()

print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "warmup":
        seconds, loss = epoch(int(cmd[1]))
    else:
        seconds, loss = epoch()
    print(json.dumps({"seconds": seconds, "loss": loss}), flush=True)
"""


def make_data(kind: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Training inputs (n, 784) float32 in [0, 1] and labels (n,) int64: random or real MNIST."""
    if kind == "random":
        return rng.random((n, LAYERS[0]), dtype=np.float32), rng.integers(0, LAYERS[-1], n)
    from digit_classifier.config import default_data_dir
    from digit_classifier.mnist import load_mnist
    data = load_mnist(default_data_dir())
    X = data.train_images.reshape(len(data.train_images), -1).astype(np.float32) / np.float32(255)
    return X[:n], data.train_labels[:n].astype(np.int64)


class NumpyRunner:
    """Our engine: MLP + SGD momentum, one shuffled pass per call."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
        self.X, self.y, self.batch_size = X, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.model = MLP(LAYERS, activation="relu", rng=self.rng)
        self.opt = SGD(self.model.params, momentum=MOMENTUM, nesterov=False)

    def epoch(self, limit: int | None = None) -> tuple[float, float]:
        """Train one epoch (or ``limit`` samples); return (seconds, last batch loss)."""
        perm = self.rng.permutation(len(self.X))
        n = len(self.X) if limit is None else min(limit, len(self.X))
        start = time.perf_counter()
        for s in range(0, n, self.batch_size):
            idx = perm[s:s + self.batch_size]
            logits = self.model.forward(self.X[idx], training=True)
            loss, dlogits = softmax_cross_entropy(logits, self.y[idx])
            self.model.backward(dlogits)
            self.opt.step(self.model.grads, LR)
        return time.perf_counter() - start, loss


class TorchRunner:
    """PyTorch CPU in a persistent subprocess of another interpreter (stdin/stdout JSON lines)."""

    def __init__(self, python: str, data_path: Path, batch_size: int, seed: int):
        args = [python, "-c", TORCH_WORKER, str(data_path), str(batch_size), str(seed),
                json.dumps(LAYERS), str(LR), str(MOMENTUM), str(THREADS)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"torch worker exited with code {self.proc.wait()}")
        return json.loads(line)

    def epoch(self, limit: int | None = None) -> tuple[float, float]:
        self.proc.stdin.write(f"warmup {limit}\n" if limit else "epoch\n")
        self.proc.stdin.flush()
        answer = self._read()
        return answer["seconds"], answer["loss"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3, help="timed epochs per engine (median reported)")
    p.add_argument("--warmup-samples", type=int, default=6400, help="untimed samples first")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--samples", type=int, default=60000)
    p.add_argument("--data", choices=("random", "mnist"), default="random")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count(),
                   help="BLAS threads for NumPy (OPENBLAS_NUM_THREADS) and torch.set_num_threads")
    p.add_argument("--torch-python", help="interpreter with torch installed (a throwaway venv)")
    p.add_argument("--out-dir", type=Path, default=REPO_ROOT / "bench" / "results")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    """Alternate epochs of the engines; return the figures."""
    X, y = make_data(args.data, args.samples, np.random.default_rng(args.seed))
    engines = {"numpy": NumpyRunner(X, y, args.batch_size, args.seed)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.torch_python:
            data_path = Path(tmp) / "data.npz"
            np.savez(data_path, X=X, y=y)
            engines["torch"] = TorchRunner(args.torch_python, data_path, args.batch_size, args.seed)
        times = {name: [] for name in engines}
        losses = {}
        try:
            for engine in engines.values():
                engine.epoch(args.warmup_samples)
            for _ in range(args.epochs):
                for name, engine in engines.items():
                    seconds, losses[name] = engine.epoch()
                    times[name].append(seconds)
                    print(f"  {name:5s} epoch {seconds:6.2f} s  (last batch loss {losses[name]:.3f})", flush=True)
        finally:
            if "torch" in engines:
                engines["torch"].close()
    result = {
        "task": f"one epoch, {args.samples} samples, {'-'.join(map(str, LAYERS))} ReLU, batch {args.batch_size}, "
                f"SGD momentum {MOMENTUM}, lr {LR}, {args.data} data",
        "epoch_seconds": {name: sorted(t) for name, t in times.items()},
        "median_seconds": {name: statistics.median(t) for name, t in times.items()},
        "samples_per_second": {name: args.samples / statistics.median(t) for name, t in times.items()},
        "numpy_version": np.__version__,
        "torch_version": engines["torch"].info["torch"] if "torch" in engines else None,
        "torch_threads": engines["torch"].info["threads"] if "torch" in engines else None,
        "cpu_count": os.cpu_count(),
        "numpy_blas_threads": THREADS,
        "machine": platform.processor() or platform.machine(),
        "load_average_after": os.getloadavg(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if "torch" in times:
        result["numpy_over_torch"] = result["median_seconds"]["numpy"] / result["median_seconds"]["torch"]
    return result


def markdown(result: dict) -> str:
    """One Markdown line summarising ``result``."""
    med = result["median_seconds"]
    line = f"- {result['date']}: {result['task']}: NumPy MLP {med['numpy']:.2f} s/epoch"
    if "torch" in med:
        line += (f", PyTorch {result['torch_version']} CPU "
                 f"{med['torch']:.2f} s/epoch; ratio NumPy/PyTorch {result['numpy_over_torch']:.2f}")
    return line + (f" (median of {len(result['epoch_seconds']['numpy'])}, {result['numpy_blas_threads']} threads "
                   f"each, {result['cpu_count']} CPUs, load average {result['load_average_after'][0]:.1f})\n")


def main(argv=None) -> int:
    args = parse_args(argv)
    result = run(args)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    # Each run is appended, so runs with different --threads (or load) sit side by side.
    json_path = args.out_dir / "epoch_speed.json"
    runs = json.loads(json_path.read_text()).get("runs", []) if json_path.exists() else []
    json_path.write_text(json.dumps({"latest": result, "runs": runs + [result]}, indent=2) + "\n")
    with open(args.out_dir / "epoch_speed.md", "a") as f:
        f.write(markdown(result))
    print(json.dumps(result, indent=2))
    print(markdown(result), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
