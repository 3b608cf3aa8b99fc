// Flash and RAM of the generated engine + model on the Nano 33 BLE's Cortex-M4F (arm-none-eabi-gcc -Os,
// --gc-sections, linked with a minimal startup): the same JSON as `edge-digits firmware --size`.
//   tsx bench/firmware-size.ts [artifact]      (--help: the argument and its default)
import { generateFromArtifactFile, measureFirmwareSize } from '../firmware-gen/index.js';
import { ARTIFACT_ARGUMENT, parseBenchArgs } from './bench-args.js';

const { positionals: [artifactPath] } = parseBenchArgs({
  usage: 'tsx bench/firmware-size.ts [artifact]',
  description: 'Flash and RAM of the generated engine + model on the Cortex-M4F (arm-none-eabi-gcc -Os), as JSON.',
  positionals: [ARTIFACT_ARGUMENT],
});
const fw = generateFromArtifactFile(artifactPath, 'host');
const size = measureFirmwareSize(fw);
console.log(JSON.stringify({
  bench: 'firmware-size', model: artifactPath, params: fw.params, macs_per_image: fw.macs, ...size,
  units: 'bytes', date: new Date().toISOString(),
}));
