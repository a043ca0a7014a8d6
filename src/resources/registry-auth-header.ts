// The X-Registry-Auth header some operations take (service create/update, plugin pull/upgrade/push).

import type { Client } from "../request/engine.ts";
import { encodeRegistryAuth, type RegistryAuth } from "../config/registry-auth.ts";

export type { RegistryAuth };

/** `headers` plus X-Registry-Auth when `auth` is given; a string is taken as already encoded. */
export function withRegistryAuth(headers: Record<string, string> | undefined, auth: RegistryAuth | string | undefined): Record<string, string> | undefined {
  if (auth === undefined) return headers;
  return { ...headers, "X-Registry-Auth": typeof auth === "string" ? auth : encodeRegistryAuth(auth) };
}

/**
 * `headers` plus X-Registry-Auth for an image: the explicit credentials, else what the client's
 * credential source finds for the image's registry. `always` sends an empty auth when none is
 * found (push requires the header).
 */
export async function withImageAuth(
  client: Client,
  ref: string | undefined,
  auth: RegistryAuth | string | undefined,
  headers: Record<string, string> | undefined,
  always = false,
): Promise<Record<string, string> | undefined> {
  const resolved = auth ?? (ref ? await client.credentials?.forImage(ref) : undefined);
  return withRegistryAuth(headers, resolved ?? (always ? {} : undefined));
}
