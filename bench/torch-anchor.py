"""PyTorch anchor for bench/train.ts: the same layer list (the bench passes the preset as JSON), Adam, the same batch
size and thread count, trained on the first N MNIST training images (no augmentation: it measures the framework's
training speed). With cfg batchNorm, every conv is followed by a BatchNorm2d in training mode (edge-digits' training
form of the same layers). Prints one JSON object: the pass's images/s, the images/s of each tenth of the pass (to tell a
steady slow pass from one that another process interrupted), and the threading configuration torch runs with.
Never part of npm test; needs Debian python3-torch."""
import json
import os
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


def build(layers, batch_norm=False):
    mods, ch = [], 1
    for l in layers:
        if l['kind'] == 'conv2d':
            pad = 0 if l['padding'] == 'valid' else 'same'
            if batch_norm:
                # edge-digits' training form (src/train/model.ts buildModel(layers, seed, true)): conv without bias,
                # batch normalization over the channel axis with the batch's statistics (training mode; biased
                # variance in the normalization, like tf.layers.batchNormalization), eps 1e-3 as edge-digits', then
                # the conv's activation. momentum 0.01 = Keras' 0.99: PyTorch keeps running statistics (edge-digits
                # keeps none and recomputes them between epochs, outside its images/s).
                mods += [nn.Conv2d(ch, l['filters'], l['kernel'], l['stride'], padding=pad, bias=False),
                         nn.BatchNorm2d(l['filters'], eps=1e-3, momentum=0.01)]
            else:
                mods += [nn.Conv2d(ch, l['filters'], l['kernel'], l['stride'], padding=pad)]
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
    torch.set_num_interop_threads(1)  # one training loop: no inter-op parallelism to use
    if cfg.get('flushDenormal', True):
        torch.set_flush_denormal(True)
    torch.manual_seed(1)
    images = read_idx(cfg['images'])[:cfg['count']].float().div(255).unsqueeze(1).contiguous()
    labels = read_idx(cfg['labels'])[:cfg['count']].long()
    batch_norm = bool(cfg.get('batchNorm', False))
    model = build(cfg['layers'], batch_norm)
    with torch.no_grad():
        model.eval()
        model(images[:2])  # materialise the lazy dense layer (eval: the running statistics stay untouched)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg['lr'])
    loss_fn = nn.CrossEntropyLoss()
    bs = cfg['batchSize']

    def step(s):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(images[s:s + bs]), labels[s:s + bs])
        loss.backward()
        opt.step()

    warm = cfg.get('warmupBatches', 20)
    for i in range(warm):  # warm-up: oneDNN primitives, allocator caches, OpenMP pool
        step((i * bs) % max(1, len(images) - bs))
    starts = list(range(0, len(images), bs))
    tenths = []
    t0 = time.perf_counter()
    c0 = time.process_time()
    mark, done_mark = t0, 0
    for k, s in enumerate(starts):
        step(s)
        if (k + 1) % max(1, len(starts) // 10) == 0 or k == len(starts) - 1:
            now = time.perf_counter()
            done = min(len(images), s + bs)
            tenths.append(round((done - done_mark) / (now - mark), 1))
            mark, done_mark = now, done
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({
        'threads': cfg['threads'], 'images': len(images), 'batchSize': bs, 'seconds': seconds, 'cpuSeconds': cpu,
        'samplesPerSecond': len(images) / seconds, 'tenths': tenths, 'params': sum(p.numel() for p in model.parameters()),
        'batchNorm': batch_norm, 'batchNormLayers': sum(isinstance(m, nn.BatchNorm2d) for m in model),
        'torch': torch.__version__, 'numThreads': torch.get_num_threads(), 'interopThreads': torch.get_num_interop_threads(),
        'mkldnn': torch.backends.mkldnn.is_available(), 'flushDenormal': cfg.get('flushDenormal', True), 'warmupBatches': warm,
        'env': {k: os.environ[k] for k in ('OMP_NUM_THREADS', 'OMP_WAIT_POLICY', 'GOMP_SPINCOUNT', 'OMP_PROC_BIND', 'MKL_NUM_THREADS') if k in os.environ},
    }))


main()
