import type { DestinationOptions } from './types.js';

/** Every connection default of a destination, in one place (see DestinationOptions). */
export function connectionOptions(
  o: DestinationOptions,
): Required<Pick<DestinationOptions, 'connectTimeoutMs' | 'reconnectInitialMs' | 'reconnectMaxMs'>> & Pick<DestinationOptions, 'checkAddress'> {
  return {
    connectTimeoutMs: o.connectTimeoutMs ?? 5000,
    reconnectInitialMs: o.reconnectInitialMs ?? 200,
    reconnectMaxMs: o.reconnectMaxMs ?? 5000,
    ...(o.checkAddress ? { checkAddress: o.checkAddress } : {}),
  };
}
