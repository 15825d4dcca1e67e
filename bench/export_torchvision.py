#!/usr/bin/env python3
"""Exports torchvision's image classifiers at full size (random weights, seeded, dynamic batch) for
the inference benchmark beyond the shared zoo:

    /usr/bin/python3 bench/export_torchvision.py /tmp/torchvision
    SONNX_ZOO=/tmp/torchvision bench/infer-compare.sh --runs 30 resnet50 densenet121 ...

Each model is OUT/<name>/model.onnx, without test data, so that `sonnx bench` generates inputs of
the batch it is asked for. Debian's python3-torch and python3-torchvision (bin/setup installs them).
"""
import os
import sys

import torch
import torchvision

M = torchvision.models
MODELS = [
    # name, constructor, opset
    ("resnet50", lambda: M.resnet50(), 13),
    ("resnext50", lambda: M.resnext50_32x4d(), 15),
    ("densenet121", lambda: M.densenet121(), 11),
    ("squeezenet1_1", lambda: M.squeezenet1_1(), 9),
    ("shufflenet_v2", lambda: M.shufflenet_v2_x1_0(), 13),
    ("mobilenet_v3_small", lambda: M.mobilenet_v3_small(), 17),
    ("efficientnet_b0", lambda: M.efficientnet_b0(), 13),
    ("googlenet", lambda: M.googlenet(aux_logits=False, init_weights=True), 11),
    ("mnasnet1_0", lambda: M.mnasnet1_0(), 10),
    ("regnet_y_400mf", lambda: M.regnet_y_400mf(), 14),
    ("convnext_tiny", lambda: M.convnext_tiny(), 17),
    ("swin_t", lambda: M.swin_t(), 17),
]


def main():
    out, only = sys.argv[1], set(sys.argv[2:])
    for name, make, opset in MODELS:
        if only and name not in only:
            continue
        path = os.path.join(out, name, "model.onnx")
        if os.path.exists(path):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.manual_seed(0)
        model = make().eval()
        tmp = path + ".tmp"
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), tmp, opset_version=opset, input_names=["x"],
                          dynamic_axes={"x": {0: "n"}})
        os.replace(tmp, path)
        print("exported", name, "opset", opset, flush=True)


if __name__ == "__main__":
    main()
