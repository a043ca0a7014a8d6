// config.json's `proxies`, applied as the Docker CLI applies them: the entry for the engine's
// address, else `default`, becomes HTTP_PROXY, HTTPS_PROXY, NO_PROXY, FTP_PROXY and ALL_PROXY
// (and their lower-case forms) in a container's environment and a build's arguments, each only
// where the caller did not set that name.

import type { DockerConfigFile, ProxyConfig } from "../server/config/config-file.ts";

const FIELDS: ReadonlyArray<[keyof ProxyConfig, string]> = [
  ["httpProxy", "HTTP_PROXY"],
  ["httpsProxy", "HTTPS_PROXY"],
  ["noProxy", "NO_PROXY"],
  ["ftpProxy", "FTP_PROXY"],
  ["allProxy", "ALL_PROXY"],
];

/**
 * The variables for an engine at `address`: its own entry (the CLI keys them by DOCKER_HOST, so
 * `tcp://host:2375` matches an `http://host:2375` connection too), else `default`. Empty when
 * config.json sets none.
 */
export function proxyVariables(config: DockerConfigFile | undefined, address: string): Record<string, string> {
  const proxies = config?.proxies;
  if (!proxies) return {};
  const tcp = address.replace(/^https?:\/\//, "tcp://");
  const entry = proxies[address] ?? proxies[tcp] ?? proxies.default;
  const out: Record<string, string> = {};
  for (const [field, name] of FIELDS) {
    const value = entry?.[field];
    if (typeof value !== "string" || value === "") continue;
    out[name] = value;
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** A container's `Env` list with the proxy variables it does not set itself; undefined stays undefined when there are none. */
export function withProxyEnv(env: string[] | undefined, proxies: Record<string, string>): string[] | undefined {
  const names = Object.keys(proxies);
  if (names.length === 0) return env;
  const set = new Set((env ?? []).map((e) => (e.includes("=") ? e.slice(0, e.indexOf("=")) : e)));
  const added = names.filter((name) => !set.has(name)).map((name) => `${name}=${proxies[name]}`);
  return added.length === 0 ? env : [...(env ?? []), ...added];
}

/** A build's arguments with the proxy variables it does not set itself. */
export function withProxyArgs(args: Record<string, string> | undefined, proxies: Record<string, string>): Record<string, string> | undefined {
  if (Object.keys(proxies).length === 0) return args;
  return { ...proxies, ...args };
}
