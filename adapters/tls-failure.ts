// Why a TLS connection to the engine failed, from the error codes Node and Bun report. Kept apart
// from the Node transport so that the Bun adapter can use it without loading node:http, https,
// net and tls (which the Node transport needs and Bun's own transport does not). The words are
// the table every runtime shares (src/errors/advice.ts); only the codes are Node's.

import { TLS_ADVICE, certificateRefused } from "../src/errors/advice.ts";

/**
 * Why a TLS connection failed, in words that point at the fix; undefined when the failure is not
 * a TLS one. Node reports the engine's certificate problems with OpenSSL's verify codes, and
 * the engine's refusal of ours as an alert (ERR_SSL_*) or, before TLS 1.3, a reset mid-handshake.
 */
export function tlsFailure(err: Error & { code?: string }, state: { handshaking: boolean; clientCert: boolean }): string | undefined {
  const code = err.code ?? "";
  const refused = certificateRefused(state.clientCert);
  switch (code) {
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "CERT_SIGNATURE_FAILURE":
      return TLS_ADVICE.untrustedCa;
    case "CERT_HAS_EXPIRED":
      return TLS_ADVICE.expired;
    case "CERT_NOT_YET_VALID":
      return TLS_ADVICE.notYetValid;
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return TLS_ADVICE.wrongName;
    case "ERR_SSL_WRONG_VERSION_NUMBER":
    case "ERR_SSL_PACKET_LENGTH_TOO_LONG":
      return TLS_ADVICE.notTls;
    case "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED":
    case "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE":
    case "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA":
    case "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN":
      return refused;
  }
  if (code === "EPROTO" && /wrong version number|packet length too long|http request/i.test(err.message)) {
    return TLS_ADVICE.notTls;
  }
  if (code.startsWith("CERT_") || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || code === "EPROTO") {
    return TLS_ADVICE.handshake;
  }
  if (state.handshaking && (code === "ECONNRESET" || code === "EPIPE")) {
    return `${TLS_ADVICE.closedInHandshake}: ${refused}`;
  }
  return undefined;
}
