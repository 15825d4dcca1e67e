#!/usr/bin/env python3
"""PyTorch's ResNet-18 times on the GPU: the anchor for `sonnx time --device cuda:0`.

    bench/gpu/torch_resnet18.py [--device cuda:0] [--warmup 10] [--amp]

torchvision's resnet18 (seeded random weights), fp32, cudnn.benchmark on, TF32 off (matmul and cuDNN):
  infer-b1    eval, no_grad, batch 1, 50 timed runs
  infer-b32   eval, no_grad, batch 32, 30 timed runs
  train-b32   train mode, SGD (lr 0.01, momentum 0.9), cross-entropy on random labels, batch 32, 20 runs
With --amp the same cases run under torch.autocast(float16) (as `sonnx time --precision mixed`: float16
operands for convolutions and matrix products, float32 weights; no GradScaler, as sonnx has no loss
scaling), named infer-b1-amp, infer-b32-amp, train-b32-amp.
Each case warms up (10 runs), then times each run between two torch.cuda.synchronize() calls and
prints `case=<name> median_ms=<x>` (also min and max). The inputs are resident on the GPU beforehand.
"""
import argparse
import statistics
import sys
import time

import torch
import torchvision


def timed(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def report(case, times):
    print("case=%s median_ms=%.4f min_ms=%.4f max_ms=%.4f runs=%d"
          % (case, statistics.median(times), min(times), max(times), len(times)), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--amp", action="store_true", help="autocast to float16 (mixed precision)")
    a = p.parse_args()
    if not torch.cuda.is_available():
        print("torch_resnet18: no CUDA device (torch %s)" % torch.__version__, file=sys.stderr)
        return 1
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device)
    print("torch_resnet18: torch %s, cuDNN %s, %s" % (torch.__version__, torch.backends.cudnn.version(),
                                                      torch.cuda.get_device_name(dev)), flush=True)
    torch.manual_seed(0)
    net = torchvision.models.resnet18().to(dev)
    suffix = "-amp" if a.amp else ""

    def autocast():
        return torch.autocast(device_type="cuda", dtype=torch.float16, enabled=a.amp)

    net.eval()
    for batch, runs in ((1, 50), (32, 30)):
        x = torch.rand(batch, 3, 224, 224, device=dev)

        def infer():
            with torch.no_grad(), autocast():
                net(x)

        report("infer-b%d%s" % (batch, suffix), timed(infer, a.warmup, runs))

    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.rand(32, 3, 224, 224, device=dev)
    y = torch.randint(0, 1000, (32,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    report("train-b32" + suffix, timed(step, a.warmup, 20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
