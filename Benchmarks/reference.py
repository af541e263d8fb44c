"""Reference figures for genai-bench: numpy sgemm and PyTorch DCGAN layer forward+backward.

Same workloads as Sources/GenAIBench/main.swift (2 threads, float32, batch 64), timed the same
way (median of calls over a time window after warm-up). Prints one JSON line whose keys match
the Swift benchmark's. Layers missing from a run (no torch) are simply absent.
"""
import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")


def median_time(fn, seconds, warmup=3):
    for _ in range(warmup):
        fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < 5 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
        if len(samples) >= 2000:
            break
    samples.sort()
    return samples[len(samples) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.5)
    a = ap.parse_args()
    out, info = {}, []
    try:
        import numpy as np
        rng = np.random.default_rng(0)
        for n in (256, 512, 1024):
            A = rng.standard_normal((n, n), dtype=np.float32)
            B = rng.standard_normal((n, n), dtype=np.float32)
            C = np.empty((n, n), np.float32)
            t = median_time(lambda: np.matmul(A, B, out=C), a.seconds)
            out[f"matmul_{n}_gflops"] = 2 * n ** 3 / t / 1e9
        info.append(f"numpy {np.__version__}")
    except ImportError:
        pass
    try:
        import torch
        import torch.nn as nn
        torch.set_num_threads(2)
        torch.set_num_interop_threads(1)
        torch.manual_seed(0)
        info.append(f"torch {torch.__version__}")
        B = 64
        layers = [
            ("G.fc 100->6272", (B, 100), nn.Linear(100, 6272, bias=False)),
            ("G.bn0 6272", (B, 6272), nn.BatchNorm1d(6272, momentum=0.2, eps=1e-3)),
            ("G.lrelu 6272", (B, 6272), nn.LeakyReLU(0.2)),
            ("G.convT1 128->128 s1", (B, 128, 7, 7), nn.ConvTranspose2d(128, 128, 5, 1, padding=2, bias=False)),
            ("G.bn1 128", (B, 128, 7, 7), nn.BatchNorm2d(128, momentum=0.2, eps=1e-3)),
            ("G.convT2 128->64 s2", (B, 128, 7, 7),
             nn.ConvTranspose2d(128, 64, 5, 2, padding=2, output_padding=1, bias=False)),
            ("G.bn2 64", (B, 64, 14, 14), nn.BatchNorm2d(64, momentum=0.2, eps=1e-3)),
            ("G.lrelu 64x14x14", (B, 64, 14, 14), nn.LeakyReLU(0.2)),
            ("G.convT3 64->1 s2", (B, 64, 14, 14),
             nn.ConvTranspose2d(64, 1, 5, 2, padding=2, output_padding=1, bias=False)),
            ("G.tanh 1x28x28", (B, 1, 28, 28), nn.Tanh()),
            ("D.conv1 1->64 s2", (B, 1, 28, 28), nn.Conv2d(1, 64, 5, 2, padding=2)),
            ("D.lrelu 64x14x14", (B, 64, 14, 14), nn.LeakyReLU(0.2)),
            ("D.dropout 64x14x14", (B, 64, 14, 14), nn.Dropout(0.3)),
            ("D.conv2 64->128 s2", (B, 64, 14, 14), nn.Conv2d(64, 128, 5, 2, padding=2)),
            ("D.fc 6272->1", (B, 6272), nn.Linear(6272, 1)),
        ]
        for name, shape, mod in layers:
            mod.train()
            x = torch.randn(*shape, requires_grad=True)
            with torch.no_grad():
                cot = torch.randn_like(mod(x))

            def step():
                x.grad = None
                mod.zero_grad(set_to_none=True)
                mod(x).backward(cot)

            out[f"layer:{name}_ms"] = median_time(step, a.seconds) * 1e3
    except ImportError:
        pass
    out["info"] = ", ".join(info) + ", 2 threads"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
