// API versions: comparing them, the bounds berth speaks, and refusing a call newer than the engine.

import { DockerVersionError } from "../errors/errors.ts";
import { operationMinVersion, queryParamMinVersion } from "../generated/versions.ts";

/** The newest Engine API version berth knows (its types are generated from this spec). */
export const MAX_API_VERSION = "1.55";
/** The oldest Engine API version berth supports. */
export const MIN_API_VERSION = "1.24";

/** Compares dotted versions numerically: "1.9" < "1.41". Returns -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number(pa[i] ?? 0);
    const y = Number(pb[i] ?? 0);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function isValidVersion(v: string): boolean {
  return /^\d+\.\d+$/.test(v);
}

/**
 * Whether the operation `key` ("METHOD /path/template"), or one of the query parameters `query`
 * sets, is newer than the oldest version berth supports (src/generated/versions.ts): only then does
 * the engine's version matter to `versionRefusal`.
 */
export function isVersioned(key: string, query: Record<string, unknown> | undefined): boolean {
  if (operationMinVersion[key] !== undefined) return true;
  const params = queryParamMinVersion[key];
  if (params && query) for (const name in params) if (query[name] !== undefined) return true;
  return false;
}

/**
 * The DockerVersionError for a call the engine at `address`, speaking `version`, would not
 * understand (its operation, or a query parameter it sets, is newer), or undefined: refused before
 * it is sent, as an older engine would ignore what it does not know.
 */
export function versionRefusal(key: string, query: Record<string, unknown> | undefined, version: string, address: string): DockerVersionError | undefined {
  const needed = operationMinVersion[key];
  if (needed !== undefined && compareVersions(version, needed) < 0) {
    return new DockerVersionError(`${key} needs API ${needed} or newer; the engine at ${address} speaks ${version}`, needed, version);
  }
  const params = queryParamMinVersion[key];
  if (params && query) {
    for (const name in params) {
      if (query[name] !== undefined && compareVersions(version, params[name]!) < 0) {
        return new DockerVersionError(`The "${name}" parameter of ${key} needs API ${params[name]} or newer; the engine at ${address} speaks ${version}`, params[name]!, version);
      }
    }
  }
  return undefined;
}
