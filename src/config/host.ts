// Parsing DOCKER_HOST-style addresses the way the Docker CLI reads them. Pure: adapters decide
// what they can connect to.

import { DockerConfigError } from "../errors/errors.ts";
import { redactAddress } from "./redact.ts";

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
 *
 * An address carries no credentials: a password (`ssh://me:pw@host`, `tcp://me:pw@host`) is
 * refused, as the Docker CLI refuses it for ssh, and so is a user in a tcp/http/https address
 * (the engine API has no login, so it would go nowhere). Messages show such an address as
 * `me:***@host`. ssh users and host names are checked before ssh ever sees them.
 */
export function parseDockerHost(value: string, options: { tls?: boolean; source?: string } = {}): DockerHost {
  const source = options.source ?? "DOCKER_HOST";
  const fail = (why: string): never => {
    throw new DockerConfigError(`${source}="${redactAddress(value)}" is not a valid engine address: ${why}`);
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
      const { userinfo, hostText } = splitUserinfo(rest);
      if (userinfo !== undefined) {
        fail(
          userinfo.includes(":")
            ? "a password in the address is not supported (it would show in messages and logs); the engine API has no login. For a proxy that wants one, send it as a header: { headers: { authorization: ... } }"
            : `a user name ("${userinfo}@") means nothing to the engine API; remove it`,
        );
      }
      const { hostname, port } = hostPort(hostText, fail);
      checkHostname(hostname, fail);
      return { kind: "tcp", protocol, hostname, port: port ?? (protocol === "https" ? 2376 : 2375) };
    }
    case "ssh": {
      const { userinfo, hostText } = splitUserinfo(rest);
      let user: string | undefined;
      if (userinfo !== undefined) {
        if (userinfo.includes(":")) fail("a plain-text password is not supported, as in the Docker CLI (ssh runs in batch mode and never prompts); use a key: ssh-agent or { ssh: { identityFile } }");
        user = decodeUserinfo(userinfo, fail);
        checkSshUser(user, fail);
      }
      const { hostname, port } = hostPort(hostText, fail);
      checkHostname(hostname, fail);
      return { kind: "ssh", user, hostname, port };
    }
    default:
      return fail(`unsupported scheme "${scheme}://"`);
  }
}

/** `user:pw@host:port/` → the userinfo (undefined when there is no `@` before the path) and the rest. */
function splitUserinfo(rest: string): { userinfo: string | undefined; hostText: string } {
  const slash = rest.indexOf("/");
  const at = rest.lastIndexOf("@", slash < 0 ? rest.length : slash - 1);
  if (at < 0) return { userinfo: undefined, hostText: rest };
  return { userinfo: rest.slice(0, at), hostText: rest.slice(at + 1) };
}

/** Percent-decoding that reports a malformed escape instead of throwing URIError. */
function decodeUserinfo(text: string, fail: (why: string) => never): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`the user name is not valid percent-encoding`);
  }
}

// A user name as ssh and the remote system take it: letters, digits and `._-`, plus `@` and `\`
// for domain accounts. Never a leading `-` (ssh would read an option), never a shell
// metacharacter or `%` (ssh_config expands %r/%h tokens into ProxyCommand and friends).
const SSH_USER = /^[A-Za-z0-9_.@\\-]+$/;

/** Throws (through `fail`) unless `user` is safe to hand to ssh. */
export function checkSshUser(user: string, fail: (why: string) => never): void {
  if (user === "") fail("the user name before @ is empty");
  if (user.startsWith("-")) fail("the user name must not start with '-'");
  if (!SSH_USER.test(user)) fail("the user name may hold only letters, digits and . _ - @ \\");
}

// Host names and IP addresses: DNS labels (letters, digits, `-`, `_`, `.`), IPv4, or IPv6 between
// brackets. No leading `-`, no `%` (zone ids are refused too: ssh_config expands `%` tokens).
const HOSTNAME = /^[A-Za-z0-9_.-]+$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Throws (through `fail`) unless `hostname` is a plain host name or IP address. */
export function checkHostname(hostname: string, fail: (why: string) => never): void {
  if (hostname.startsWith("-")) fail("the host name must not start with '-'");
  if (hostname.includes(":") ? !IPV6.test(hostname) : !HOSTNAME.test(hostname)) {
    fail("the host name may hold only letters, digits and . _ - (or an IP address, IPv6 in [brackets])");
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

/** A hostname as it stands before `:port` in an address or a Host header: an IPv6 address in brackets. */
export function bracketed(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/** Formats a host back to the address shown in messages. */
export function formatDockerHost(host: DockerHost): string {
  switch (host.kind) {
    case "unix":
      return `unix://${host.path}`;
    case "npipe":
      return `npipe://${host.path}`;
    case "tcp":
      return `${host.protocol}://${bracketed(host.hostname)}:${host.port}`;
    case "ssh":
      return `ssh://${host.user ? `${host.user}@` : ""}${bracketed(host.hostname)}${host.port ? `:${host.port}` : ""}`;
  }
}
