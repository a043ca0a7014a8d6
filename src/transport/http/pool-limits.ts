// The limits of a keep-alive pool (Node's, Deno's), and what they default to: checked when the
// transport is made, so a wrong value is refused before any request instead of hanging the first
// one (a pool allowed no connection would queue every request forever).

import { DockerConfigError } from "../../errors/errors.ts";

/** Connections open at once for calls answered at once; streams and sessions take their own. */
export const DEFAULT_MAX_SOCKETS = 64;
/** Milliseconds an idle connection is kept (Go's and Node's transports). */
export const DEFAULT_IDLE_TIMEOUT = 90_000;

export interface PoolLimits {
  maxSockets: number;
  idleTimeout: number;
}

/** The limits given, checked, with the defaults for those not given. */
export function poolLimits(given: { maxSockets?: number; idleTimeout?: number }): PoolLimits {
  const maxSockets = given.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const idleTimeout = given.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
  // Infinity is no limit, as for node:http's Agent (which Node users pass it to).
  if (!(maxSockets === Infinity || (Number.isInteger(maxSockets) && maxSockets >= 1))) {
    throw new DockerConfigError(`Invalid maxSockets ${String(maxSockets)}: expected a whole number of connections, 1 or more, or Infinity`);
  }
  if (!(typeof idleTimeout === "number" && idleTimeout >= 0 && idleTimeout !== Infinity)) {
    throw new DockerConfigError(`Invalid idleTimeout ${String(idleTimeout)}: expected milliseconds, or 0 to keep idle connections until the engine closes them`);
  }
  return { maxSockets, idleTimeout };
}
