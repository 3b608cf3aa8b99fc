export { PRESETS, getPreset, layerCosts, modelCost, type Preset, type LayerSpec, type Activation, type LayerCost } from './presets.js';
export { selectBackend, BACKEND_CHOICES, type BackendChoice, type BackendSelection } from './backend.js';
export { conv2dBackpropFilterViaConv } from './conv2d-backprop-filter.js';
export {
  registerWasmTrainingKernels, conv2dBackpropFilterIm2col, conv2dBackpropInputViaConv, maxPoolGradJs, im2colTransposed, type Im2ColGeometry,
} from './wasm-kernels/index.js';
export { buildModel } from './model.js';
export { EMA_WARMUPS, rampedEmaDecay, type EmaWarmup } from './step.js';
export { saveModel, loadModel, readModelFiles, modelHash, resolveModelJson, ModelFileError } from './model-io.js';
export { trainModel, evaluateFloat, learningRateAt, type TrainOptions, type TrainResult, type EpochRecord } from './train.js';
export { predictFloatLogits } from './predict.js';
export { trainingChartSvg, confusionChartSvg, writeSvgAsPng } from './charts.js';
export { EpochProgress, type ProgressSink } from './progress.js';
export { DivergenceGuard, TrainingDivergedError, DEFAULT_DIVERGENCE_PATIENCE } from './divergence.js';
