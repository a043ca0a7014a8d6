// Parsing DOCKER_HOST-style addresses the way the Docker CLI reads them. Pure: adapters decide
// what they can connect to.

import { DockerConfigError } from "../errors.ts";

export type DockerHost =
  | { kind: "unix"; path: string }
  | { kind: "npipe"; path: string }
  | { kind: "tcp"; protocol: "http" | "https"; hostname: string; port: number }
  | { kind: "ssh"; user: string | undefined; hostname: string; port: number | undefined };

export const DEFAULT_UNIX_SOCKET = "/var/run/docker.sock";

/**
 * `unix:///var/run/docker.sock`, `tcp://host:2375`, `http(s)://host:port`, `ssh://user@host:22`,
 * `npipe:////./pipe/docker_engine`. `tcp://` means https when `tls` is set (DOCKER_TLS_VERIFY),
 * and its port defaults to 2376 with TLS and 2375 without, as in the CLI.
 * `source` names where the value came from, for the error message.
 */
export function parseDockerHost(value: string, options: { tls?: boolean; source?: string } = {}): DockerHost {
  const source = options.source ?? "DOCKER_HOST";
  const fail = (why: string): never => {
    throw new DockerConfigError(`${source}="${value}" is not a valid engine address: ${why}`);
  };
  const text = value.trim();
  if (text === "") fail("it is empty");
  const sep = text.indexOf("://");
  if (sep < 0) {
    // The CLI accepts a bare absolute path as a unix socket.
    if (text.startsWith("/")) return { kind: "unix", path: text };
    fail("expected unix://, tcp://, http://, https://, ssh:// or npipe://");
  }
  const scheme = text.slice(0, sep).toLowerCase();
  const rest = text.slice(sep + 3);
  switch (scheme) {
    case "unix":
      if (!rest) fail("the socket path is missing");
      return { kind: "unix", path: rest };
    case "npipe":
      return { kind: "npipe", path: rest || "//./pipe/docker_engine" };
    case "tcp":
    case "http":
    case "https": {
      const protocol = scheme === "https" || (scheme === "tcp" && options.tls) ? "https" : "http";
      const { hostname, port } = hostPort(rest, fail);
      return { kind: "tcp", protocol, hostname, port: port ?? (protocol === "https" ? 2376 : 2375) };
    }
    case "ssh": {
      const at = rest.lastIndexOf("@", rest.indexOf("/") < 0 ? rest.length : rest.indexOf("/"));
      const user = at >= 0 ? decodeURIComponent(rest.slice(0, at)) : undefined;
      const { hostname, port } = hostPort(rest.slice(at + 1), fail);
      return { kind: "ssh", user, hostname, port };
    }
    default:
      return fail(`unsupported scheme "${scheme}://"`);
  }
}

function hostPort(text: string, fail: (why: string) => never): { hostname: string; port: number | undefined } {
  const slash = text.indexOf("/");
  const authority = slash < 0 ? text : text.slice(0, slash);
  if (slash >= 0 && text.slice(slash) !== "/" && text.slice(slash) !== "") fail("a path after the host is not supported");
  let hostname = authority;
  let portText: string | undefined;
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    if (end < 0) fail("unterminated [IPv6] address");
    hostname = authority.slice(1, end);
    if (authority.length > end + 1) {
      if (authority[end + 1] !== ":") fail("expected :port after the [IPv6] address");
      portText = authority.slice(end + 2);
    }
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon >= 0) {
      hostname = authority.slice(0, colon);
      portText = authority.slice(colon + 1);
    }
  }
  if (!hostname) fail("the host name is missing");
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) fail(`invalid port "${portText}"`);
  }
  return { hostname, port };
}

/** Formats a host back to the address shown in messages. */
export function formatDockerHost(host: DockerHost): string {
  switch (host.kind) {
    case "unix":
      return `unix://${host.path}`;
    case "npipe":
      return `npipe://${host.path}`;
    case "tcp":
      return `${host.protocol}://${host.hostname.includes(":") ? `[${host.hostname}]` : host.hostname}:${host.port}`;
    case "ssh":
      return `ssh://${host.user ? `${host.user}@` : ""}${host.hostname}${host.port ? `:${host.port}` : ""}`;
  }
}
