/**
 * Camera side of edge-digits: frame sources and MNIST-faithful preprocessing.
 *
 * Sources (all `AsyncIterable<Frame>`, gray uint8; see `openFrameSource` for the spec strings):
 *   - `cameraFrames`: a live camera through ffmpeg (v4l2 / avfoundation / dshow), newest frame first;
 *     `listCameras` lists devices.
 *   - `videoFrames`: a video file decoded by ffmpeg to raw gray frames on a pipe, one frame in memory.
 *   - `imageFrames`: a folder, glob or image file (sharp decodes, natural order). A file name carrying
 *     `label<d>` or `digit<d>` (optionally `-`, `_` or `=` between) gives the frame that label.
 *   - `mnistFrames` ('mnist:test'): MNIST digits rendered by `synthesizeCameraFrame`, labelled.
 * ffmpeg comes from PATH, else the optional npm package `@ffmpeg-installer/ffmpeg`; `ffmpegInfo()` says which.
 *
 * `preprocess(frame)` → a 28×28 digit made the way MNIST was (20×20 box, centre of mass at the centre), or
 * 'none' with a reason; `renderAscii` draws a digit in the terminal. Lighting is divided out before any
 * decision, the colour channel with most ink contrast is used when the frame carries `rgb`, the sheet is found
 * and the digit searched anywhere in the (default: whole) frame.
 * `synthesizeScene` renders a digit on paper in a room (issue 14's conditions), `renderThroughCamera` takes a
 * 28×28 digit through a scene and the preprocessing (training augmentation).
 */
export { abortError, type Frame, type FrameSource, type Polarity, type Rect } from './frame.js';
export { ffmpegInfo, resolveFfmpeg, findOnPath, FfmpegNotFoundError, type FfmpegInfo, type FfmpegOrigin, type FfmpegLookup } from './ffmpeg.js';
export { readRawFrames, lumaOfRgb, FfmpegProcessError, type DeliveryMode, type RawFrameReadOptions, type RawPixelFormat, type SpawnFunction } from './raw-frames.js';
export { videoFrames, probeVideo, parseFfprobeJson, parseFfmpegBanner, type VideoProbe, type VideoSourceOptions } from './video-source.js';
export { writeGrayVideo, VIDEO_EXTENSIONS, type VideoWriteOptions, type VideoWriteResult } from './video-writer.js';
export {
  cameraFrames, listCameras, cameraInputArgs, parseAvfoundationDevices, parseDshowDevices,
  type CameraDevice, type CameraOptions,
} from './camera-source.js';
export {
  imageFrames, listImageFiles, labelFromFilename, decodeImage, isGlobPattern, IMAGE_EXTENSIONS, type ImageSourceOptions,
} from './image-source.js';
export { naturalCompare } from './natural-compare.js';
export { mnistFrames, mnistOnPaper, PAPER_SIDE, type MnistFrameOptions } from './mnist-source.js';
export { openFrameSource, sourceKind, SOURCE_SPEC_HELP, type OpenSourceOptions, type SourceKind } from './open-source.js';
export {
  synthesizeCameraFrame, frameSeed, DEFAULT_CAMERA_LIKE,
  type CameraLikeOptions, type SynthesizedFrame, type SynthesisTruth, type Range,
} from './synthesize.js';
export {
  preprocess, DEFAULT_PREPROCESS,
  type PreprocessOptions, type PreprocessResult, type FrameGeometry, type DigitGeometry, type NoDigitCode,
} from './preprocess.js';
export { resolveRoi, DEFAULT_ROI, type RoiSpec } from './roi.js';
export {
  synthesizeScene, ROOM_CONDITIONS, TUNING_VARIANT, TUNING_WIDE_VARIANT, HELD_OUT_VARIANT,
  type RoomCondition, type SceneVariant, type SceneOptions, type SceneFrame, type SceneTruth,
} from './scene.js';
export { renderThroughCamera } from './camera-augment.js';
export type { InkChannel } from './flatten.js';
export { otsuLevel, type ThresholdMethod, type ThresholdSummary } from './threshold.js';
export { MNIST_BOX, MNIST_CENTRE, type ResizeKernel } from './mnist-layout.js';
export { renderAscii } from './ascii.js';
export { openPreprocessPool, PreprocessWorkerError, type PreprocessPool, type PreprocessPoolOptions } from './preprocess-pool.js';
