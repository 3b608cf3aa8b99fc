"""PyTorch anchor for bench/train.ts: the same layer list (the bench passes the preset as JSON), Adam, the same batch
size and thread count, trained on the first N MNIST training images (no augmentation: it measures the framework's
training speed). Prints one JSON object. Never part of npm test; needs Debian python3-torch."""
import json
import struct
import sys
import time

import torch
import torch.nn as nn


def read_idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    dims = magic & 0xFF
    shape = struct.unpack('>' + 'I' * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def build(layers):
    mods, ch = [], 1
    for l in layers:
        if l['kind'] == 'conv2d':
            mods += [nn.Conv2d(ch, l['filters'], l['kernel'], l['stride'], padding=0 if l['padding'] == 'valid' else 'same')]
            ch = l['filters']
            if l['activation'] == 'relu':
                mods.append(nn.ReLU())
        elif l['kind'] == 'maxpool':
            mods.append(nn.MaxPool2d(l['size'], l['stride']))
        elif l['kind'] == 'flatten':
            mods.append(nn.Flatten())
        else:
            mods.append(nn.LazyLinear(l['units']))
            if l['activation'] == 'relu':
                mods.append(nn.ReLU())
            elif l['activation'] == 'sigmoid':
                mods.append(nn.Sigmoid())
    return nn.Sequential(*mods)


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg['threads'])
    torch.manual_seed(1)
    images = read_idx(cfg['images'])[:cfg['count']].float().div(255).unsqueeze(1)
    labels = read_idx(cfg['labels'])[:cfg['count']].long()
    model = build(cfg['layers'])
    model(images[:2])  # materialise the lazy dense layer
    opt = torch.optim.Adam(model.parameters(), lr=cfg['lr'])
    loss_fn = nn.CrossEntropyLoss()
    bs = cfg['batchSize']

    def epoch(n):
        for s in range(0, n, bs):
            opt.zero_grad()
            loss = loss_fn(model(images[s:s + bs]), labels[s:s + bs])
            loss.backward()
            opt.step()

    epoch(min(len(images), bs * 4))  # warm-up
    t0 = time.perf_counter()
    c0 = time.process_time()
    epoch(len(images))
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({
        'threads': cfg['threads'], 'images': len(images), 'batchSize': bs, 'seconds': seconds, 'cpuSeconds': cpu,
        'samplesPerSecond': len(images) / seconds, 'params': sum(p.numel() for p in model.parameters()),
        'torch': torch.__version__,
    }))


main()
