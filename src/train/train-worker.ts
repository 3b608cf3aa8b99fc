/**
 * A data-parallel training replica: its own tfjs wasm backend, model and Adam, its own share of every batch
 * (augmented here), and a gradient exchange with the other replicas through shared memory. Started by
 * data-parallel.ts; talks to it with the messages in parallel-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { argmax } from '../data/index.js';
import { selectBackend } from './backend.js';
import { shardRange } from './batches.js';
import { barrierWait } from './barrier.js';
import { runEpoch, stepsPerEpoch, type ReplicaPlan, type StepExchange } from './epoch-loop.js';
import type { FromWorker, ToWorker, WorkerInit } from './parallel-protocol.js';
import { predictFloatLogits } from './predict.js';
import { BatchNormFolder } from './batch-norm.js';
import { GradientStepper, weightsHash } from './step.js';

const init = workerData as WorkerInit;
if (!parentPort) throw new Error('train-worker.ts must run in a worker thread');
const port = parentPort;
const send = (m: FromWorker): void => port.postMessage(m);

async function main(): Promise<void> {
  const backend = await selectBackend('wasm');
  tf.enableProdMode();
  const stepper = new GradientStepper(init.layers, init.seed, init.labelSmoothing, init.emaDecay, init.emaWarmup, init.batchNorm);
  const size = stepper.size;
  const slots = new Float32Array(init.gradients);
  const ctrl = new Int32Array(init.barrier);
  const losses = new Float64Array(init.losses);
  const summed = new Float32Array(size);
  const W = init.workers;
  const exchange = (local: Float32Array, lossSum: number, step: number): StepExchange => {
    if (W === 1) {
      barrierWait(ctrl, 1); // alone there is nobody to wait for, but the main thread may have stopped the run
      return { gradient: local, lossSum };
    }
    const parity = step & 1;
    const base = parity * W * size;
    slots.set(local, base + init.rank * size);
    losses[parity * W + init.rank] = lossSum;
    barrierWait(ctrl, W);
    // Every replica sums the same slots in the same rank order, so all get the same bits.
    summed.set(slots.subarray(base, base + size));
    let loss = losses[parity * W];
    for (let r = 1; r < W; r++) {
      const off = base + r * size;
      for (let i = 0; i < size; i++) summed[i] += slots[off + i];
      loss += losses[parity * W + r];
    }
    return { gradient: summed, lossSum: loss };
  };
  const train = { images: new Uint8Array(init.trainImages), labels: new Uint8Array(init.trainLabels), count: init.trainCount };
  const testImages = new Uint8Array(init.testImages);
  // The replicas split the statistics pass over the slice and merge each other's partials (the same bits as one
  // replica doing it all): every replica folds at the same points (each epoch's evaluation, the final weights).
  const share = W > 1 ? { rank: init.rank, workers: W, slots: new Float64Array(init.statistics), wait: () => barrierWait(ctrl, W) } : null;
  const folder = init.batchNorm ? new BatchNormFolder(init.layers, init.seed, train.images, train.count, share) : null;
  const plan: ReplicaPlan = {
    stepper, train, augment: init.augment, cleanEpochs: init.cleanEpochs, seed: init.seed, batchSize: init.batchSize, learningRate: init.learningRate,
    epochs: init.epochs, workers: W, rank: init.rank, exchange,
  };
  send({ type: 'ready', rank: init.rank, backend: backend.name, gradientSize: size });
  port.on('message', (m: ToWorker) => {
    try {
      if (m.type === 'epoch') {
        const t0 = performance.now();
        let lastReport = 0;
        let step = (m.epoch - 1) * stepsPerEpoch(train.count, init.batchSize);
        const stats = runEpoch(plan, m.epoch, (done, s, batchLoss) => {
          if (init.rank !== 0) return;
          send({ type: 'loss', rank: 0, step: step++, loss: batchLoss });
          const now = performance.now();
          if (now - lastReport > 250) {
            lastReport = now;
            send({ type: 'progress', rank: 0, done, lossSum: s.lossSum, correct: s.correct, seen: s.seen });
          }
        });
        const seconds = (performance.now() - t0) / 1000;
        const [from, to] = shardRange(init.testCount, W, init.rank);
        const shard = testImages.subarray(from * 784, to * 784);
        const logits = folder
          ? predictFloatLogits(folder.foldedModel(stepper.evaluationTrainableValues()), shard, to - from)
          : stepper.withEvaluationWeights((model) => predictFloatLogits(model, shard, to - from));
        const testPredictions = new Uint8Array(to - from);
        for (let i = 0; i < to - from; i++) testPredictions[i] = argmax(logits, i * 10, 10);
        send({
          type: 'epoch', rank: init.rank, epoch: m.epoch, ...stats, seconds, testPredictions,
          weightsHash: weightsHash(stepper.weightValues()),
        });
      } else if (m.type === 'weights') {
        const values = folder ? folder.fold(stepper.evaluationTrainableValues()).weights : stepper.evaluationWeightValues();
        send({ type: 'weights', rank: init.rank, values });
      } else {
        stepper.dispose();
        port.close();
      }
    } catch (e) {
      send({ type: 'error', rank: init.rank, message: (e as Error).stack ?? String(e) });
    }
  });
}

main().catch((e: unknown) => send({ type: 'error', rank: init.rank, message: (e as Error).stack ?? String(e) }));
