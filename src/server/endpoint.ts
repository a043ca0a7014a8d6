// What a server runtime connects to, said once for Node, Bun and Deno: the TLS material their
// Docker and transports take, the endpoint a transport is made for, and the strings built from it
// (the address in messages, the base of request URLs).

import { DockerConfigError } from "../errors/errors.ts";
import { bracketed, formatDockerHost } from "../config/host.ts";

/** PEM material for https engines. Verification is always on. */
export interface TlsPem {
  /** CA certificate(s) the engine's certificate must chain to (PEM). */
  ca?: string | Uint8Array;
  /** Client certificate and key (PEM), for engines started with --tlsverify. */
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
}

/** PEM material, and the name to verify where the runtime's TLS can be told one. */
export interface TlsOptions extends TlsPem {
  /** Name to verify in the engine's certificate, when it differs from the host. */
  servername?: string;
}

/** A unix socket (or Windows pipe), or a TCP engine over http or https. */
export type Endpoint<Tls = TlsOptions> =
  | { socketPath: string }
  | { protocol: "http" | "https"; hostname: string; port: number; tls?: Tls };

/** `unix:///var/run/docker.sock`, `https://[::1]:2376`: where berth connects, in messages. */
export function endpointAddress(endpoint: Endpoint<unknown>): string {
  return "socketPath" in endpoint
    ? formatDockerHost({ kind: "unix", path: endpoint.socketPath })
    : formatDockerHost({ kind: "tcp", protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port });
}

/** The base of request URLs. Over a socket the host only fills the Host header, which the engine ignores. */
export function endpointBase(endpoint: Endpoint<unknown>): string {
  return "socketPath" in endpoint ? "http://docker" : endpointAddress(endpoint);
}

/**
 * The Host header of the requests berth writes itself (the pools, streams on a connection of their
 * own): `docker` over a socket, as endpointBase's URLs say; else `host:port`, an IPv6 address in brackets.
 */
export function endpointHostHeader(endpoint: Endpoint<unknown>): string {
  return "socketPath" in endpoint ? "docker" : `${bracketed(endpoint.hostname)}:${endpoint.port}`;
}

/** PEM as text, for the runtimes whose TLS takes strings. */
export function pemText(value: string | Uint8Array): string {
  return typeof value === "string" ? value : new TextDecoder().decode(value);
}

/**
 * TLS options given in code (`{ tls: { cert, key } }`): a client certificate needs its key and a
 * key its certificate, said before any connection on every runtime (the runtime would otherwise
 * send the certificate alone, and the engine's refusal would read as a bad certificate).
 * Contents are never quoted.
 */
export function checkTlsPair(tls: { cert?: unknown; key?: unknown } | undefined, source = "tls"): void {
  if (!tls) return;
  const has = (value: unknown) => value !== undefined && value !== null && value !== "";
  if (has(tls.cert) === has(tls.key)) return;
  const [given, missing, option, file] = has(tls.cert) ? ["certificate", "key", "key", "key.pem beside cert.pem"] : ["key", "certificate", "cert", "cert.pem beside key.pem"];
  throw new DockerConfigError(
    `${source}: a TLS client ${given} was given without its ${missing}: pass tls.${option} too (${file} in DOCKER_CERT_PATH), ` +
      "or neither to connect without a client certificate",
  );
}
