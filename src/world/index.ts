/**
 * The synthetic district generator: one consistent world of 余杭区 and each department's view
 * of it, written as NDJSON. See README.md for the files and record shapes.
 *
 *   const manifest = await generateWorld({ scale: 'small', seed: 1, outDir: 'out', onProgress });
 */
export { generateWorld, resolveScale, GENERATOR_VERSION, type GenerateOptions, type ProgressStage } from './generator.js';
export { SCALES, type ScaleName, type ScaleSpec } from './layout.js';
export {
  DEFAULT_NOISE, DEPARTMENTS, NOISE_PRESETS, NO_LOOKALIKES, REALISTIC_LOOKALIKES, REALISTIC_NOISE, resolveLookalikes, resolveNoise, type Department,
  type Lookalikes, type NoiseConfig, type NoiseOverrides, type NoisePreset, type NoiseRates, type NoiseTag,
} from './noise.js';
export { ADDRESS_STYLES, renderAddress, type AddressStyle, type Site } from './address.js';
export { NOW_ISO } from './time.js';
export { readNdjson, worldFile } from './read.js';
export * from './types.js';
export { readGridRegistry } from './gridRegistry.js';
