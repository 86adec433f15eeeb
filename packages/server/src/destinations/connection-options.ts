import type { DestinationOptions } from './types.js';

/** Every connection default of a destination, in one place (see DestinationOptions). */
export function connectionOptions(o: DestinationOptions): { connectTimeoutMs: number; reconnectInitialMs: number; reconnectMaxMs: number } {
  return {
    connectTimeoutMs: o.connectTimeoutMs ?? 5000,
    reconnectInitialMs: o.reconnectInitialMs ?? 200,
    reconnectMaxMs: o.reconnectMaxMs ?? 5000,
  };
}
