// The one body of every generated endpoint function (src/generated/endpoints/): each passes its
// operation's facts as arguments instead of spelling out a call object, so that the ~80 functions a
// full bundle keeps cost a line each.

import type { Call, CallOptions } from "./engine.ts";

/**
 * What an endpoint function sends through: the full Client (src/request/engine.ts) and a
 * berth-docker/lite connection (src/lite/engine.ts) both are one, so the same functions serve both.
 */
export interface Requester {
  /** Sends a call and parses a JSON answer (undefined for an empty body). */
  json<T>(call: Call): Promise<T>;
  /** Sends a call and ignores the answer's body. */
  void(call: Call): Promise<void>;
}

/**
 * Sends one operation. `key` is the spec's `"METHOD /path/template"`; `query` names the options
 * sent as query parameters, `option:engineName` where the engine spells it otherwise (`psArgs:ps_args`);
 * `json` reads the answer as JSON, else discards it.
 */
export function sendOperation<T>(
  client: Requester,
  json: boolean,
  key: string,
  params: Record<string, string> | undefined,
  options: CallOptions | undefined,
  query?: readonly string[],
  body?: unknown,
  contentType?: string,
): Promise<T> {
  const at = key.indexOf(" ");
  // Query options are taken out first: one may share a name with a field of the call (`path`, the
  // path in a container, beside the call's path template).
  const rest: Record<string, unknown> = { ...options };
  let sent: Record<string, unknown> | undefined;
  if (query) {
    sent = {};
    // Every call of a pass-through runs this: the `option:engineName` entries are read without
    // splitting them into arrays.
    for (const entry of query) {
      const colon = entry.indexOf(":");
      const option = colon < 0 ? entry : entry.slice(0, colon);
      sent[colon < 0 ? entry : entry.slice(colon + 1)] = rest[option];
      delete rest[option];
    }
  }
  const call: Call = { ...rest, method: key.slice(0, at), path: key.slice(at + 1), params, query: sent, body, contentType };
  return (json ? client.json<T>(call) : (client.void(call) as Promise<T>));
}
