#!/usr/bin/env python3
"""Exports a sweep of PyTorch models to ONNX for ExportedModelsTest: torchvision's families and a
few torch.nn building blocks, at several opsets, with random weights (seeded). Each case is a folder
OUT/<name>/ with model.onnx and test_data_set_0/input_0.pb (the feed); the test computes its
references with ONNX Runtime, so these files carry no expected outputs.

Usage: export_models.py OUT [name ...]   (Debian: python3-torch, python3-torchvision, python3-onnx)
"""
import os
import sys

import torch
import torch.nn as nn
import torchvision
from onnx import numpy_helper

M = torchvision.models


class TextEncoder(nn.Module):
    """Token embedding, two transformer encoder layers (GELU), mean pooling, a linear head."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 64)
        layer = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, activation="gelu")
        self.enc = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(64, 10)

    def forward(self, tokens):
        return self.head(self.enc(self.emb(tokens)).mean(1))


class Recurrent(nn.Module):
    """A two-layer bidirectional LSTM into a GRU, its last step and final state into a linear head."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(16, 32, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(64, 24, batch_first=True)
        self.fc = nn.Linear(24, 5)

    def forward(self, x):
        y, _ = self.lstm(x)
        z, h = self.gru(y)
        return self.fc(z[:, -1] + h[0])


class Upsampling(nn.Module):
    """Nearest upsampling (Upsample at opset 9) beside a transposed convolution, concatenated."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.up = nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        a = nn.functional.interpolate(y, scale_factor=2, mode="nearest")
        return torch.cat([a[:, :4], self.up(y)], 1).sigmoid()


class Video(nn.Module):
    """3-D convolutions over a clip: Conv3d, BatchNorm3d, ReLU, MaxPool3d, a strided Conv3d, a global pool."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(3, 16, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False), nn.BatchNorm3d(16),
            nn.ReLU(), nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            nn.Conv3d(16, 32, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1))
        self.fc = nn.Linear(32, 7)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


class Decoder(nn.Module):
    """A U-Net style decoder: transposed convolutions of kernel 2, 4 (pads 1) and 3 (output padding 1),
    one grouped, with a skip connection concatenated on the way up."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(64, 32, 2, stride=2)
        self.up2 = nn.ConvTranspose2d(48, 24, 4, stride=2, padding=1, groups=2)
        self.up3 = nn.ConvTranspose2d(24, 8, 3, stride=2, padding=1, output_padding=1, bias=False)
        self.skip = nn.Conv2d(64, 16, 1)

    def forward(self, x):
        y = torch.relu(self.up1(x))
        skip = nn.functional.interpolate(self.skip(x), scale_factor=2.0, mode="nearest")
        y = torch.relu(self.up2(torch.cat([y, skip], 1)))
        return self.up3(y)


class FirstDetections(nn.Module):
    """A torchvision detector on one image, its boxes, scores and labels as a tuple."""

    def __init__(self, detector):
        super().__init__()
        self.detector = detector

    def forward(self, x):
        r = self.detector([x[0]])[0]
        return r["boxes"], r["scores"], r["labels"]


class MainOutput(nn.Module):
    """A segmentation model's 'out' entry."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def vision_transformer():
    m = M.VisionTransformer(image_size=64, patch_size=16, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128,
                            num_classes=10)
    nn.init.normal_(m.heads.head.weight, std=0.5)  # torchvision starts the head at zero: all logits 0
    return m


def image(n, hw):
    return lambda: torch.randn(n, 3, hw, hw)


seg = M.segmentation
CASES = [
    # name, model, input, opset, dynamic batch
    ("resnet_bottleneck", lambda: M.resnet.ResNet(M.resnet.Bottleneck, [1, 1, 1, 1]), image(2, 96), 13, True),
    ("densenet121", lambda: M.densenet121(), image(2, 64), 11, True),
    ("squeezenet1_0_opset7", lambda: M.squeezenet1_0(), image(1, 96), 7, False),
    ("squeezenet1_1_opset9", lambda: M.squeezenet1_1(), image(2, 96), 9, True),
    ("shufflenet_v2", lambda: M.shufflenet_v2_x0_5(), image(2, 96), 13, True),
    ("mobilenet_v3_small", lambda: M.mobilenet_v3_small(), image(2, 96), 17, True),
    ("efficientnet_b0", lambda: M.efficientnet_b0(), image(2, 96), 13, True),
    ("googlenet", lambda: M.googlenet(aux_logits=False, init_weights=True), image(2, 96), 11, True),
    ("mnasnet0_5", lambda: M.mnasnet0_5(), image(2, 96), 10, True),
    ("regnet_y_400mf", lambda: M.regnet_y_400mf(), image(2, 96), 14, True),
    ("convnext", lambda: M.convnext.ConvNeXt([M.convnext.CNBlockConfig(32, 64, 2), M.convnext.CNBlockConfig(64, None, 2)],
                                             num_classes=10), image(2, 64), 17, True),
    ("swin", lambda: M.swin_transformer.SwinTransformer([4, 4], 32, [2, 2], [2, 4], [7, 7], num_classes=10),
     image(1, 112), 17, False),
    ("vit", vision_transformer, image(2, 64), 14, True),
    ("lraspp_mobilenet_v3", lambda: MainOutput(seg.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None)),
     image(1, 128), 13, False),
    ("deeplabv3_mobilenet_v3", lambda: MainOutput(seg.deeplabv3_mobilenet_v3_large(
        weights=None, weights_backbone=None, aux_loss=False)), image(1, 128), 11, False),
    ("video_3d", lambda: Video(), lambda: torch.randn(2, 3, 4, 56, 56), 11, True),
    ("fasterrcnn_mobilenet_v3", lambda: FirstDetections(M.detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None, num_classes=5, box_score_thresh=0.0)),
     lambda: torch.rand(1, 3, 320, 320), 11, False),
    ("text_encoder", lambda: TextEncoder(), lambda: torch.randint(0, 100, (2, 12)), 17, True),
    ("lstm_gru", lambda: Recurrent(), lambda: torch.randn(2, 7, 16), 11, True),
    ("upsample_opset9", lambda: Upsampling(), lambda: torch.randn(2, 3, 10, 12), 9, True),
    ("unet_decoder", lambda: Decoder(), lambda: torch.randn(2, 64, 12, 10), 13, True),
]


def export(out, name, make, make_input, opset, dynamic):
    folder = os.path.join(out, name)
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    torch.manual_seed(0)
    model = make().eval()
    x = make_input()
    tmp = os.path.join(folder, "model.onnx.tmp")
    # outside no_grad: under it, nn.MultiheadAttention takes a fused path the exporter does not know
    torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["x"],
                      dynamic_axes={"x": {0: "n"}} if dynamic else None)
    with open(os.path.join(data, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x.numpy(), "x").SerializeToString())
    os.replace(tmp, os.path.join(folder, "model.onnx"))


def main():
    out, only = sys.argv[1], set(sys.argv[2:])
    for name, make, make_input, opset, dynamic in CASES:
        if only and name not in only:
            continue
        if os.path.exists(os.path.join(out, name, "model.onnx")):
            continue
        export(out, name, make, make_input, opset, dynamic)
        print("exported", name, "opset", opset, flush=True)


if __name__ == "__main__":
    main()
