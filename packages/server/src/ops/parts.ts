/**
 * The parts a Herald process builds from its configuration, shared by the main thread (app.ts)
 * and the engine thread (engine/engine-thread-main.ts) so that both build them the same way.
 */
import type { HeraldConfig } from '../config.js';
import { loadMasterKey, SecretBox } from '../crypto/secret-box.js';
import { HttpSender } from '../outbound/http-sender.js';
import type { Resolver } from '../outbound/address-guard.js';

/** The box that seals webhook secrets, with the master key from HERALD_MASTER_KEY or the data directory. */
export function secretBoxFor(config: HeraldConfig): SecretBox {
  return new SecretBox(loadMasterKey({ ...(config.masterKey ? { envValue: config.masterKey } : {}), dataDir: config.dataDir }));
}

/** The outbound HTTP sender with the configured limits and trust (CAs already read from HERALD_TRUSTED_CA_FILE). */
export function senderFor(config: HeraldConfig, trustedCas: readonly string[] | undefined, resolve?: Resolver): HttpSender {
  return new HttpSender({
    connectionsPerOrigin: config.worker.connectionsPerOrigin,
    responseBodyLimit: config.responseBodyLimit,
    allowPrivateUrls: config.allowPrivateUrls,
    trustedCas,
    resolve,
  });
}
