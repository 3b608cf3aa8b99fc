/**
 * Model architectures as data: one list drives the tfjs model, the parameter/MAC counts and (via the exported
 * tfjs model) the int8 converter. Only layers the int8 engine supports appear in the `cnn` presets.
 */
import type { EmaWarmup } from './step.js';

export type Activation = 'relu' | 'linear' | 'sigmoid';

export type LayerSpec =
  | { kind: 'conv2d'; filters: number; kernel: number; stride: number; padding: 'valid' | 'same'; activation: Activation }
  | { kind: 'maxpool'; size: number; stride: number }
  | { kind: 'flatten' }
  | { kind: 'dense'; units: number; activation: Activation };

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly layers: readonly LayerSpec[];
  /**
   * Training defaults. batchSize is the global batch (split across data-parallel workers); labelSmoothing is the
   * cross-entropy label smoothing; emaDecay (0 = none) the decay of the moving average of the weights that is
   * evaluated and shipped.
   */
  readonly defaults: {
    epochs: number; batchSize: number; learningRate: number; augment: boolean; labelSmoothing: number; emaDecay: number;
    /** How the weight average starts (EmaWarmup in step.ts). */
    emaWarmup: EmaWarmup;
    /** Scales every augmentation magnitude (scaleAugment in src/data/augment.ts; 1 = DEFAULT_AUGMENT as it is). */
    augmentStrength: number;
    /** The last cleanEpochs epochs train without augmentation. */
    cleanEpochs: number;
    /**
     * Train with a batch normalization after every conv2d, folded into the convolutions on export (batch-norm.ts):
     * the saved model has `layers` exactly.
     */
    batchNorm: boolean;
  };
}

export const PRESETS: Readonly<Record<string, Preset>> = {
  cnn: {
    name: 'cnn',
    description: 'conv3x3·16 → pool → conv3x3·32 → pool → conv3x3·64 → dense10: a microcontroller-sized CNN',
    layers: [
      { kind: 'conv2d', filters: 16, kernel: 3, stride: 1, padding: 'valid', activation: 'relu' },
      { kind: 'maxpool', size: 2, stride: 2 },
      { kind: 'conv2d', filters: 32, kernel: 3, stride: 1, padding: 'valid', activation: 'relu' },
      { kind: 'maxpool', size: 2, stride: 2 },
      { kind: 'conv2d', filters: 64, kernel: 3, stride: 1, padding: 'valid', activation: 'relu' },
      { kind: 'flatten' },
      { kind: 'dense', units: 10, activation: 'linear' },
    ],
    // 14 epochs of batch 128 (64 per worker on 2 cores); the EMA of the weights (decay 0.999) is what is evaluated
    // and shipped. Chosen on a validation split (docs/training.md, "The schedule"); clean final epochs
    // (--clean-epochs) were tried there and gained less than the split resolves. Batch normalization (folded into
    // the convolutions on export) passed the validation rule (+6 / +8 images on seeds 1 / 2) and is the one recipe
    // measured to reach the shipped model's targets (float 99.54 %, int8 99.55 % on the test set); --no-batch-norm
    // trains the plain recipe, ~0.7x the time (docs/training.md, "Batch normalization in training").
    defaults: { epochs: 14, batchSize: 128, learningRate: 3e-3, augment: true, labelSmoothing: 0.1, emaDecay: 0.999, emaWarmup: 'ramp', augmentStrength: 1, cleanEpochs: 0, batchNorm: true },
  },
  mlp: {
    name: 'mlp',
    description: 'the textbook baseline: 784 → 16 sigmoid → 10',
    layers: [
      { kind: 'flatten' },
      { kind: 'dense', units: 16, activation: 'sigmoid' },
      { kind: 'dense', units: 10, activation: 'linear' },
    ],
    defaults: { epochs: 10, batchSize: 32, learningRate: 3e-3, augment: false, labelSmoothing: 0, emaDecay: 0, emaWarmup: 'ramp', augmentStrength: 1, cleanEpochs: 0, batchNorm: false },
  },
};

export interface LayerCost { readonly outShape: readonly number[]; readonly params: number; readonly macs: number }

/** Output shapes ([h,w,c] or [n]), parameter and multiply-accumulate counts per layer for a 28×28×1 input. */
export function layerCosts(layers: readonly LayerSpec[], input: readonly number[] = [28, 28, 1]): LayerCost[] {
  let shape = [...input];
  const out: LayerCost[] = [];
  for (const l of layers) {
    if (l.kind === 'conv2d') {
      const [h, w, c] = shape;
      const oh = l.padding === 'same' ? Math.ceil(h / l.stride) : Math.floor((h - l.kernel) / l.stride) + 1;
      const ow = l.padding === 'same' ? Math.ceil(w / l.stride) : Math.floor((w - l.kernel) / l.stride) + 1;
      shape = [oh, ow, l.filters];
      out.push({ outShape: shape, params: l.kernel * l.kernel * c * l.filters + l.filters, macs: oh * ow * l.filters * l.kernel * l.kernel * c });
    } else if (l.kind === 'maxpool') {
      const [h, w, c] = shape;
      shape = [Math.floor((h - l.size) / l.stride) + 1, Math.floor((w - l.size) / l.stride) + 1, c];
      out.push({ outShape: shape, params: 0, macs: 0 });
    } else if (l.kind === 'flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
      out.push({ outShape: shape, params: 0, macs: 0 });
    } else {
      const n = shape.reduce((a, b) => a * b, 1);
      shape = [l.units];
      out.push({ outShape: shape, params: n * l.units + l.units, macs: n * l.units });
    }
  }
  return out;
}

export function modelCost(layers: readonly LayerSpec[]): { params: number; macs: number } {
  return layerCosts(layers).reduce((a, c) => ({ params: a.params + c.params, macs: a.macs + c.macs }), { params: 0, macs: 0 });
}

export function getPreset(name: string): Preset {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset '${name}'; known presets: ${Object.keys(PRESETS).join(', ')}`);
  return p;
}
