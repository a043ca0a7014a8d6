// The X-Registry-Auth header some operations take (service create/update, plugin pull/upgrade/push).

import { encodeRegistryAuth, type RegistryAuth } from "../config/registry-auth.ts";

export type { RegistryAuth };

/** `headers` plus X-Registry-Auth when `auth` is given; a string is taken as already encoded. */
export function withRegistryAuth(headers: Record<string, string> | undefined, auth: RegistryAuth | string | undefined): Record<string, string> | undefined {
  if (auth === undefined) return headers;
  return { ...headers, "X-Registry-Auth": typeof auth === "string" ? auth : encodeRegistryAuth(auth) };
}
