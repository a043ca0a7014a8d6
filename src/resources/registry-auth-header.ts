// The X-Registry-Auth header some operations take (service create/update, plugin pull/upgrade/push):
// the credentials as JSON, in URL-safe base64, the form the engine decodes.

import { encodeBase64Url } from "../base64.ts";

/** Credentials for one registry, as the engine reads them. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** The registry, e.g. `https://index.docker.io/v1/` or `registry.example.com`. */
  serveraddress?: string;
  email?: string;
  /** A token from `docker.auth()` / a credential helper, used instead of the password. */
  identitytoken?: string;
  /** A bearer token for the registry itself. */
  registrytoken?: string;
}

/** `headers` plus X-Registry-Auth when `auth` is given; a string is taken as already encoded. */
export function withRegistryAuth(headers: Record<string, string> | undefined, auth: RegistryAuth | string | undefined): Record<string, string> | undefined {
  if (auth === undefined) return headers;
  const value = typeof auth === "string" ? auth : encodeBase64Url(JSON.stringify(auth));
  return { ...headers, "X-Registry-Auth": value };
}
