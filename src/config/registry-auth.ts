// Registry credentials as the engine takes them, and the name rules that say which registry an
// image lives in. Pure functions: no file or process access.

import { DockerConfigError } from "../errors/errors.ts";
import { encodeUtf8 } from "../streams/bytes.ts";
import { encodeBase64 } from "./base64.ts";

/**
 * Credentials for one registry, in the engine's `X-Registry-Auth` shape. Either a username and
 * password, or an identity token (from `docker login` with OAuth), or a registry bearer token.
 */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** The registry these credentials are for, e.g. `https://index.docker.io/v1/` or `registry.example.com`. */
  serveraddress?: string;
  /** Refresh token the engine exchanges for a bearer token; sent instead of a password. */
  identitytoken?: string;
  /** Bearer token sent to the registry as it is. */
  registrytoken?: string;
  email?: string;
}

/** Docker Hub's name as it appears in image references. */
export const DOCKER_HUB = "docker.io";
/** Docker Hub's key in config.json `auths` and in credential helpers, kept for historic reasons. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

const HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

/**
 * The registry an image reference points at, normalised as the Docker CLI does: the part before
 * the first `/` is a registry only if it contains `.` or `:`, is `localhost`, or has upper-case
 * letters; otherwise the image is on Docker Hub (`docker.io`).
 *
 *   registryOfImage("busybox")                     → "docker.io"
 *   registryOfImage("library/busybox:1.36")        → "docker.io"
 *   registryOfImage("127.0.0.1:5000/app:dev")      → "127.0.0.1:5000"
 *   registryOfImage("ghcr.io/owner/app@sha256:…")  → "ghcr.io"
 */
export function registryOfImage(ref: string): string {
  const name = ref.trim();
  if (name === "") throw new DockerConfigError("An empty image reference names no registry");
  const slash = name.indexOf("/");
  if (slash < 0) return DOCKER_HUB;
  const first = name.slice(0, slash);
  const isRegistry = /[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase();
  if (!isRegistry) return DOCKER_HUB;
  return HUB_ALIASES.has(first.toLowerCase()) ? DOCKER_HUB : first;
}

/**
 * The key under which config.json and credential helpers store a registry's credentials:
 * `https://index.docker.io/v1/` for Docker Hub (under any of its names), otherwise `host[:port]`
 * with any scheme and path removed.
 */
export function registryAuthKey(registry: string): string {
  const host = hostOfServerAddress(registry);
  return HUB_ALIASES.has(host.toLowerCase()) ? DOCKER_HUB_AUTH_KEY : host;
}

/** `https://registry.example.com/v2/` → `registry.example.com`; a bare host stays as it is. */
export function hostOfServerAddress(address: string): string {
  let rest = address.trim();
  const scheme = rest.indexOf("://");
  if (scheme >= 0) rest = rest.slice(scheme + 3);
  const slash = rest.indexOf("/");
  return slash < 0 ? rest : rest.slice(0, slash);
}

/** Value of the `X-Registry-Auth` header: base64url (padded) JSON of the credentials. */
export function encodeRegistryAuth(auth: RegistryAuth): string {
  return encodeBase64(encodeUtf8(JSON.stringify(compact(auth))), { url: true });
}

/**
 * Value of the `X-Registry-Config` header of `POST /build`: base64url JSON of a map from registry
 * key (as `registryAuthKey` gives) to credentials, so the build can pull private base images.
 */
export function encodeRegistryConfig(auths: Record<string, RegistryAuth>): string {
  const map: Record<string, RegistryAuth> = {};
  for (const [key, auth] of Object.entries(auths)) map[key] = compact(auth);
  return encodeBase64(encodeUtf8(JSON.stringify(map)), { url: true });
}

function compact(auth: RegistryAuth): RegistryAuth {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(auth)) if (typeof v === "string" && v !== "") out[k] = v;
  return out;
}
