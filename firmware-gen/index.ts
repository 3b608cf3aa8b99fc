/**
 * firmware-gen: C for the board from an int8 artifact — the model as const arrays, the portable int8 engine,
 * and an Arduino library — plus host builds that prove the C bit-exact against the TypeScript simulator.
 */
export { cIdentifier, cString, cComment, int32Literal, arrayDeclare, arrayExtern, structInit, define, type ArrayDeclaration, type CIntType } from './c-syntax.js';
export {
  FirmwareGenError, checkAccumulatorBounds, planArena, assertArenaPlanValid, poolCanRunInPlace, packedConvEligibility, fusedPoolEligibility, fusedPools, modelSteps, type ModelStep, PACKED_LANE_MAX_ABS_SUM, type PackedConvEligibility, type FusedPoolEligibility, layerParams, layerMacs, elementCount,
  type ArenaPlan, type TensorSlot,
} from './plan.js';
export { MODEL_ABI_VERSION, emitModelHeader, emitModelSource, modelBanner, modelHeaderName, modelSourceName, type ModelEmitContext } from './emit-model.js';
export { ENGINE_DIR, ENGINE_FILES, OP_ENGINE_FILES, GENERATED_MARKER, engineFile, engineFilesFor, generatorVersion, type EngineFileName } from './engine-files.js';
export { chooseExampleDigit, type ExampleDigit } from './example-digit.js';
export {
  FIRMWARE_TARGETS, defaultLibraryMeta, generateFirmware, generateFromArtifactFile, writeGeneratedFiles, sha256Hex,
  type FirmwareTarget, type FirmwareOptions, type GeneratedFile, type GeneratedFirmware,
} from './generate.js';
export {
  HOST_BATCH_MAIN, STRICT_C_FLAGS, SANITIZER_FLAGS, hasTool, compileFlags, buildHostEngine, runHostEngine,
  type HostBuildOptions, type CEngineResult,
} from './host-engine.js';
export {
  CORTEX_M4_FLAGS, SIZE_SECTION_FLAGS, FLASH_LIMIT_BYTES, RAM_LIMIT_BYTES, measureFirmwareSize, parseSizeSections, type FirmwareSize,
} from './size.js';
export {
  ARDUINO_LIBRARY_BASE, ARDUINO_EXAMPLES, ARDUINO_FQBN, ARDUINO_INTERNAL_DIR, arduinoExamplePath, arduinoLibraryName, arduinoLibraryVersion,
  arduinoLibraryZip, arduinoPublicHeader, externalFunctionNames, type ArduinoLibraryMeta,
} from './targets/arduino/library.js';
export { buildZip, crc32, type ZipEntry } from './targets/arduino/zip.js';
export { PROTOCOL_DIR, PROTOCOL_FILES } from './protocol/files.js';
