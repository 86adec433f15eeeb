import type { HeraldConfig } from '../config.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { EngineApi } from '../engine/engine.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { HttpSender } from '../outbound/http-sender.js';
import type { Store } from '../store/store.js';

/** What request handlers and services share; built once by the app and passed explicitly. */
export interface AppContext {
  config: HeraldConfig;
  store: Store;
  box: SecretBox;
  /** Ingest, direct sends and wake-ups go to the engine (on its own thread by default). */
  engine: EngineApi;
  metrics: Metrics;
  /** Outbound HTTP for URL checks at save time. */
  sender: HttpSender;
  log: Logger;
  /** True once the store is open and workers (if this process runs them) are started. */
  ready: () => boolean;
}
