export { ARTIFACT_FORMAT, ARTIFACT_VERSION, INPUT_SCALE, INPUT_ZERO_POINT, type Int8Model, type QuantLayer, type Conv2DLayer, type DenseLayer, type MaxPoolLayer, type LogisticLayer, type QuantParams, type Calibration } from './artifact.js';
export { quantizeMultiplier, saturatingRoundingDoublingHighMul, roundingDivideByPOT, multiplyByQuantizedMultiplier } from './fixed-point.js';
export { roundHalfAway, activationParams, quantizeWeightsPerChannel, quantizeBias, requantization, activationClamp } from './scheme.js';
export { convPerChannel, fullyConnectedPerChannel, maxPool, offsetAndPad, transposeToChannelsLast, type ConvGeometry, type RequantParams } from './kernels.js';
export { Simulator, type Simulation } from './simulator.js';
export { readFloatGraph, UnsupportedModelError, type FloatOp } from './float-graph.js';
export { convertToInt8, type RangeChoice } from './convert.js';
export { collectRanges, percentileRange, type RangeStats } from './calibrate.js';
export { validateArtifact, loadArtifact, ArtifactError } from './load.js';
export { quantizeModel, RANGE_CANDIDATES, type QuantizeOptions, type QuantizeResult } from './quantize-model.js';
export {
  prepareLogistic, logisticElement, logisticTable, logisticQ4, calculateInputRadius, LOGISTIC_OUTPUT_SCALE, LOGISTIC_OUTPUT_ZERO_POINT,
  LOGISTIC_INPUT_INTEGER_BITS, LOGISTIC_MIN_LEFT_SHIFT, LOGISTIC_MAX_LEFT_SHIFT, type LogisticParams,
} from './logistic.js';
