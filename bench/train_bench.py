#!/usr/bin/env python3
"""Training step time of sonnx against PyTorch (CPU), same network, batch, threads and optimizer.

For each model: PyTorch's torchvision network (the zoo's ONNX files are exports of the same
torchvision models; the parameter counts are printed side by side) takes SGD steps (momentum 0.9,
weight decay 1e-4, softmax cross-entropy on random labels, BatchNorm in training mode), then
`bin/sonnx bench --train` takes the same steps on the ONNX file, after a warm-up that lasts until the
JVM's compiler is quiet (30-40 s; a fine-tuning job runs thousands of steps). The two alternate round
by round so that a noisy machine slows both alike; the figure of each is the median over all its steps.

    bench/train_bench.py [--batch 8] [--threads 2] [--runs 10] [--rounds 3] [models...]

Needs Debian's python3-torch and python3-torchvision (run with /usr/bin/python3).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = os.environ.get("SONNX_ZOO", os.path.join(HERE, "..", "shared", "onnx-zoo"))


def torch_steps(name, batch, threads, warmup, runs):
    import torch
    import torchvision

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = {"resnet18": torchvision.models.resnet18, "mobilenetv2": torchvision.models.mobilenet_v2}[name]()
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(batch, 3, 224, 224)
    y = torch.randint(0, 1000, (batch,))
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    params = sum(p.numel() for p in net.parameters())
    return times, params


def sonnx_steps(name, batch, threads, warmup, runs):
    cmd = [os.path.join(HERE, "bin", "sonnx"), "bench", "--model", os.path.join(ZOO, name, "model.onnx"),
           "--batch", str(batch), "--threads", str(threads), "--train", "--warmup", str(warmup),
           "--runs", str(runs), "--only", "sonnx", "--times"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("sonnx bench failed:\n" + out.stdout + out.stderr)
    m = re.search(r"^sonnx train step times: (.*)$", out.stdout, re.M)
    if not m:
        sys.exit("no step times in:\n" + out.stdout)
    return [float(t) for t in m.group(1).split()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("models", nargs="*", default=["resnet18", "mobilenetv2"])
    a = ap.parse_args()
    print(f"{'model':<12} {'batch':>5} {'sonnx_ms':>9} {'torch_ms':>9} {'ratio':>6}  (medians of "
          f"{a.rounds}x{a.runs} steps, {a.threads} threads)")
    for name in a.models:
        ours, theirs, params = [], [], 0
        for _ in range(a.rounds):
            t, params = torch_steps(name, a.batch, a.threads, a.warmup, a.runs)
            theirs += t
            ours += sonnx_steps(name, a.batch, a.threads, a.warmup, a.runs)
        o, p = statistics.median(ours), statistics.median(theirs)
        print(f"{name:<12} {a.batch:>5} {o:>9.1f} {p:>9.1f} {o / p:>6.2f}  (torch parameters {params})")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
