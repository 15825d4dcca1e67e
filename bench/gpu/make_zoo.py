#!/usr/bin/env python3
"""Regenerates the two zoo cases too big to carry to the GPU machine: resnet18 and tinyyolov2.

    bench/gpu/make_zoo.py --out DIR [--only resnet18,tinyyolov2]

Each becomes a case folder in the node suite's layout, DIR/<name>/model.onnx and
DIR/<name>/test_data_set_0/{input_0.pb,output_0.pb}, like ../shared/onnx-zoo's:
  resnet18    torchvision's ResNet-18, eval mode, BatchNorm kept, opset 11, input `input` Nx3x224x224
              (batch axis dynamic), output `output` Nx1000
  tinyyolov2  Tiny YOLOv2 (VOC) in plain torch: 9 convs, BatchNorm kept, LeakyRelu 0.1, five 2x2 stride-2
              MaxPools and the stride-1 one padded on the right and bottom, opset 11, input `image`
              1x3x416x416, output `grid` 1x125x13x13
Weights are seeded (torch.manual_seed(0)), BatchNorm's statistics and affine parameters random too; the input is uniform [0, 1) from numpy's seeded generator.
The expected output is onnxruntime's (CPUExecutionProvider, graph optimizations off: with them ONNX
Runtime has miscomputed tinyyolov2's Pad+MaxPool); without onnxruntime it is torch's own output.
Runs with torch 1.13 and 2.x (2.x: the TorchScript exporter, dynamo=False).
"""
import argparse
import inspect
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

ATOL, RTOL = 1e-4, 1e-3


class TinyYoloV2(nn.Module):
    """Tiny YOLOv2 for VOC (20 classes, 5 anchors: 5 * (5 + 20) = 125 output channels)."""

    def __init__(self):
        super().__init__()
        widths = [3, 16, 32, 64, 128, 256, 512, 1024, 1024]
        layers = []
        for i in range(8):
            layers += [nn.Conv2d(widths[i], widths[i + 1], 3, 1, 1, bias=False),
                       nn.BatchNorm2d(widths[i + 1]),
                       nn.LeakyReLU(0.1)]
            if i < 5:
                layers.append(nn.MaxPool2d(2, 2))
            elif i == 5:
                layers += [nn.ZeroPad2d((0, 1, 0, 1)), nn.MaxPool2d(2, 1)]
        layers.append(nn.Conv2d(1024, 125, 1, 1, 0, bias=True))
        self.net = nn.Sequential(*layers)
        # Weights that keep the activations near unit scale through the nine convs.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=0.1, mode="fan_in", nonlinearity="leaky_relu")
                if m.bias is not None:
                    nn.init.uniform_(m.bias, -0.1, 0.1)

    def forward(self, x):
        return self.net(x)


def randomize_batchnorm(model):
    """BatchNorm statistics and affine parameters that are not the identity, and no two alike: the
    exporter would otherwise merge the equal initializers (every running_mean alike, every weight...)
    into one behind Identity nodes, making the running statistics aliases of trainable parameters."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(0.5 + torch.rand(c, generator=g))
                m.bias.copy_(0.1 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))


def undo_initializer_aliases(path):
    """Replaces each Identity of an initializer (the exporter's deduplication) by a copy of it."""
    m = onnx.load(path)
    inits = {t.name: t for t in m.graph.initializer}
    outputs = {o.name for o in m.graph.output}
    keep, copies = [], []
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits and n.output[0] not in outputs:
            t = onnx.TensorProto()
            t.CopyFrom(inits[n.input[0]])
            t.name = n.output[0]
            copies.append(t)
        else:
            keep.append(n)
    if copies:
        del m.graph.node[:]
        m.graph.node.extend(keep)
        m.graph.initializer.extend(copies)
        onnx.save(m, path)
    return len(copies)


def export(model, x, path, input_name, output_name, dynamic_batch):
    kwargs = dict(opset_version=11, input_names=[input_name], output_names=[output_name],
                  do_constant_folding=True, training=torch.onnx.TrainingMode.PRESERVE)
    if dynamic_batch:
        kwargs["dynamic_axes"] = {input_name: {0: "N"}, output_name: {0: "N"}}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    with warnings.catch_warnings():
        # constant folding in PRESERVE mode (the model is in eval mode: nothing to fear), Slice folding,
        # the TorchScript exporter's deprecation in torch 2.x
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, **kwargs)


def reference(path, input_name, x_np, torch_out):
    try:
        import onnxruntime as ort
    except ImportError:
        return torch_out, "torch (no onnxruntime)"
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    out = sess.run(None, {input_name: x_np})[0]
    return out, "onnxruntime %s CPUExecutionProvider" % ort.__version__


def write_tensor(path, array, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def make_case(out_dir, name, model, shape, input_name, output_name, dynamic_batch):
    t0 = time.time()
    case = os.path.join(out_dir, name)
    data = os.path.join(case, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    randomize_batchnorm(model)
    model.eval()
    x_np = np.random.default_rng(0).random(shape, dtype=np.float32)
    x = torch.from_numpy(x_np)
    with torch.no_grad():
        torch_out = model(x).numpy()
    path = os.path.join(case, "model.onnx")
    export(model, x, path, input_name, output_name, dynamic_batch)
    aliases = undo_initializer_aliases(path)
    if aliases:
        print("make_zoo: %s: replaced %d Identity aliases of initializers by copies" % (name, aliases))
    onnx.checker.check_model(onnx.load(path))
    expected, source = reference(path, input_name, x_np, torch_out)
    expected = np.ascontiguousarray(expected, dtype=np.float32)
    write_tensor(os.path.join(data, "input_0.pb"), x_np, input_name)
    write_tensor(os.path.join(data, "output_0.pb"), expected, output_name)
    diff = float(np.max(np.abs(expected - torch_out)))
    within = bool(np.all(np.abs(expected - torch_out) <= ATOL + RTOL * np.abs(expected)))
    params = sum(p.numel() for p in model.parameters())
    print("make_zoo: wrote %s: model.onnx (%.1f MB, %d parameters), input %s %s, output %s %s "
          "[std %.3f, range %.3f..%.3f] from %s; torch vs it: max |diff| %.2e (%s); %.1f s"
          % (case, os.path.getsize(path) / 1e6, params, input_name, "x".join(map(str, x_np.shape)),
             output_name, "x".join(map(str, expected.shape)), expected.std(), expected.min(),
             expected.max(), source, diff, "within 1e-4 + 1e-3|e|" if within else "OUTSIDE 1e-4 + 1e-3|e|",
             time.time() - t0), flush=True)
    return within


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="folder that receives one case folder per model")
    p.add_argument("--only", default="resnet18,tinyyolov2", help="comma-separated subset")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(min(8, os.cpu_count() or 1))
    print("make_zoo: torch %s, onnx %s, numpy %s" % (torch.__version__, onnx.__version__, np.__version__))
    ok = True
    for name in [n.strip() for n in a.only.split(",") if n.strip()]:
        torch.manual_seed(0)
        if name == "resnet18":
            import torchvision
            model = torchvision.models.resnet18(weights=None) if _has_weights_arg(torchvision) \
                else torchvision.models.resnet18(pretrained=False)
            ok &= make_case(a.out, name, model, (1, 3, 224, 224), "input", "output", True)
        elif name == "tinyyolov2":
            ok &= make_case(a.out, name, TinyYoloV2(), (1, 3, 416, 416), "image", "grid", False)
        else:
            print("make_zoo: unknown model '%s'" % name, file=sys.stderr)
            return 2
    # torch and onnxruntime disagreeing beyond the zoo tolerance means a bad export or reference.
    return 0 if ok else 1


def _has_weights_arg(torchvision):
    return "weights" in inspect.signature(torchvision.models.resnet18).parameters


if __name__ == "__main__":
    sys.exit(main())
