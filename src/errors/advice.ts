// The sentences that explain a failed connection, one table for every runtime. Each runtime keeps
// its own classifier (Node's and Bun's OpenSSL codes in adapters/tls-failure.ts, rustls's wording
// in adapters/deno-transport.ts) and picks its words here, so a failure reads the same on every
// runtime. The failures of reaching the engine at all (no socket, refused, denied) are
// worded by DockerConnectionError itself (errors.ts).


/** Why a TLS connection failed, in words that point at the fix. */
export const TLS_ADVICE = {
  untrustedCa: "the engine's certificate is not signed by a trusted CA; check ca.pem (DOCKER_CERT_PATH or the context's TLS material)",
  expired: "the engine's certificate has expired",
  notYetValid: "the engine's certificate is not valid yet (check the clocks)",
  wrongName: "the engine's certificate does not name the host connected to",
  notTls: "the engine does not speak TLS on this port (is it a plain tcp:// endpoint?)",
  handshake: "the TLS handshake with the engine failed",
  certRejected: "the engine rejected the client certificate (is it signed by the CA the engine trusts, for client use?)",
  certRequired: "the engine requires a client certificate and none was given (cert.pem and key.pem)",
  closedInHandshake: "the engine closed the connection during the TLS handshake",
} as const;

/**
 * The engine refused us at the TLS level. Its alert does not say whether a certificate was
 * missing or refused: berth knows which, from whether one was given.
 */
export function certificateRefused(clientCert: boolean): string {
  return clientCert ? TLS_ADVICE.certRejected : TLS_ADVICE.certRequired;
}

/** The message of a TLS failure: what it means, then the runtime's own words for it. */
export function tlsFailed(why: string, detail: string): string {
  return `TLS verification failed: ${why} (${detail})`;
}

/** How a connection ended early, where the bytes say no more than that. */
export const CONNECTION_ADVICE = {
  closed: "the connection is closed",
  beforeAnswer: "the connection closed before the engine answered",
  beforeResponseEnd: "the connection closed before the response ended",
  beforeStreamEnd: "the connection closed before the stream ended",
  inHandshake: "the connection closed during the TLS handshake",
  /** A stream ended and a fresh connection found the engine gone. */
  engineGone: (detail: string) => `the connection closed and the engine no longer answers (${detail}): it stopped or crashed`,
} as const;

