/** Herald's public surface for programs that embed it and for tests. */
export { startHerald, type Herald } from './app.js';
export { configFromEnv, makeConfig, DEFAULT_CONFIG, type HeraldConfig, type Role } from './config.js';
export { ERRORS, HeraldError, type ErrorCode } from './errors.js';
export { openStore, type Store } from './store/store.js';
export { PRESETS, PRESET_NAMES, type Preset, type PresetName } from './policy/presets.js';
export { buildBody } from './engine/envelope.js';
export * from './model.js';
