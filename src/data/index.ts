export { parseIdx, readIdxFile, IdxFormatError, type IdxTensor } from './idx.js';
export {
  loadDigitSet, loadImagesIdx, mnistDataDir, mnistPrefix, imageAt,
  IMAGE_SIZE, PIXELS, NUM_CLASSES, type DigitSet, type MnistSplit, type ImageShapeOptions,
} from './dataset.js';
export { augmentImage, DEFAULT_AUGMENT, MAX_AUGMENT_STRENGTH, scaleAugment, type AugmentOptions } from './augment.js';
export { createRng, mixSeed, shuffledIndices } from './random.js';
export { classificationReport, argmax, type ClassificationReport } from './metrics.js';
