// The Deno transport: Deno.connect / Deno.connectTls for everything, spoken with the core's HTTP/1.1
// code: calls answered at once over a keep-alive pool (deno-pool.ts), every streamed answer (logs,
// events, stats, progress) and every stream body over a connection of its own, and the raw duplex of
// attach and exec. fetch with a Deno.HttpClient remains only for the liveness probe after an EOF.
//
// The Deno namespace's types are not a dependency: the little of it used here is declared below,
// so the file type-checks with plain TypeScript as well as under `deno check`.

import { bracketed } from "../src/config/host.ts";
import { onAbort } from "../src/request/deadline.ts";
import { TLS_ADVICE, certificateRefused, tlsFailed } from "../src/errors/advice.ts";
import { checkTlsPair, endpointAddress, endpointBase, endpointHostHeader, pemText, type Endpoint, type TlsPem } from "../src/server/endpoint.ts";
import { DockerConnectionError } from "../src/errors/errors.ts";
import { missingPermission } from "./deno-config.ts";
import { FetchTransport } from "../src/transport/fetch.ts";
import { exchange } from "../src/transport/http/exchange.ts";
import { poolLimits } from "../src/transport/http/pool-limits.ts";
import { DenoPool, SlabReads, type DenoConn } from "./deno-pool.ts";
import type { Duplex, TransportRequest, TransportResponse } from "../src/transport/transport.ts";

/** PEM material for https engines. Verification is always on. (Deno's TLS takes no servername.) */
export interface DenoTlsOptions extends TlsPem {}

export type DenoEndpoint = Endpoint<DenoTlsOptions>;

export interface DenoTransportOptions {
  /** Address shown in messages. */
  address?: string;
  /** Most simultaneous connections for calls; further calls queue. Default 64; streams do not count. */
  maxSockets?: number;
  /** Milliseconds an idle pooled connection is kept for reuse; 0 keeps it. Default 90 s. */
  idleTimeout?: number;
}

interface DenoHttpClient {
  close(): void;
}

interface DenoTlsFields {
  caCerts?: string[];
  cert?: string;
  key?: string;
}

declare const Deno: {
  createHttpClient(options: DenoTlsFields & { proxy?: { transport: "unix"; path: string } }): DenoHttpClient;
  connect(options: { transport: "unix"; path: string } | { hostname: string; port: number }): Promise<DenoConn>;
  connectTls(options: DenoTlsFields & { hostname: string; port: number }): Promise<DenoConn>;
};

export class DenoTransport extends FetchTransport {
  readonly #endpoint: DenoEndpoint;
  readonly #address: string;
  readonly #lazy: { client?: DenoHttpClient };
  readonly #clientCert: boolean;
  readonly #pool: DenoPool;
  readonly #host: string;
  /** Deno's fetch costs about 4x a raw connection's CPU per byte of body: exec output goes raw. */
  readonly hijackExecOutput = true;

  constructor(endpoint: DenoEndpoint, options: DenoTransportOptions = {}) {
    const unix = "socketPath" in endpoint;
    const address = options.address ?? endpointAddress(endpoint);
    const base = endpointBase(endpoint);
    const clientCert = !unix && Boolean(endpoint.tls?.cert);
    if (!unix) checkTlsPair(endpoint.tls);
    // The HttpClient is made at the first request, not here: Deno checks the socket's permissions
    // when it is made, and making a Docker must ask for none (a refusal is then the request's
    // DockerConnectionError, naming the flag).
    const lazy: { client?: DenoHttpClient } = {};
    const makeClient = (): DenoHttpClient | undefined => {
      if (lazy.client) return lazy.client;
      try {
        if (unix) lazy.client = Deno.createHttpClient({ proxy: { transport: "unix", path: endpoint.socketPath } });
        else if (endpoint.protocol === "https" && endpoint.tls) lazy.client = Deno.createHttpClient(tlsFields(endpoint.tls));
      } catch (err) {
        throw permissionError(err, endpoint, address) ?? err;
      }
      return lazy.client;
    };
    super(base, { address, fetch: explainingFetch(clientCert, makeClient, (err) => permissionError(err, endpoint, address)) });
    this.#endpoint = endpoint;
    this.#address = address;
    this.#lazy = lazy;
    this.#clientCert = clientCert;
    this.#host = endpointHostHeader(endpoint);
    const limits = poolLimits(options);
    this.#pool = new DenoPool({
      ...limits,
      open: (signal) => this.#open(signal),
      host: this.#host,
      address,
      failure: (err, fallback) => connectionFailure(err, fallback, address, clientCert),
      confirmEnd: () => this.confirmEnd(),
    });
  }

  /**
   * Calls answered at once go through the pool. Streamed answers, and stream bodies (which cannot
   * be sent again on a stale connection), go over a connection of their own: Deno's fetch delivered
   * a chunked body one HTTP chunk at a time (a followed log: one line per read), which made a log
   * replay a third as fast as on Node.
   */
  override async request(req: TransportRequest): Promise<TransportResponse> {
    const body = req.body;
    if (!req.stream && (body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array)) return this.#pool.request(req);
    return exchange(await this.connect(req.signal), req, { address: this.#address, host: this.#host, confirmEnd: () => this.confirmEnd() });
  }

  async connect(signal?: AbortSignal): Promise<Duplex> {
    const conn = await this.#open(signal);
    return connDuplex(conn, this.#address, this.#clientCert, () => this.confirmEnd());
  }

  /** A new connection, its TLS handshake done; failures as DockerConnectionError. */
  async #open(signal?: AbortSignal): Promise<DenoConn> {
    signal?.throwIfAborted();
    const endpoint = this.#endpoint;
    const connecting = (
      "socketPath" in endpoint
        ? Deno.connect({ transport: "unix", path: endpoint.socketPath })
        : endpoint.protocol === "https"
          ? Deno.connectTls({ hostname: endpoint.hostname, port: endpoint.port, ...tlsFields(endpoint.tls ?? {}) })
          : Deno.connect({ hostname: endpoint.hostname, port: endpoint.port })
    ).catch((err: unknown) => {
      throw permissionError(err, endpoint, this.#address) ?? new DockerConnectionError(this.#address, failureCode(err, this.#clientCert), explain(err, this.#clientCert), { cause: err });
    });
    // An abort answers the caller at once; a connection that still arrives is closed.
    let unlisten = (): void => {};
    const aborted = new Promise<never>((_, reject) => {
      unlisten = onAbort(signal, () => reject(signal!.reason ?? new DOMException("aborted", "AbortError")));
    });
    try {
      const conn = await Promise.race([connecting, aborted]);
      // Deno's TLS handshake is lazy: complete it here, so a refused certificate fails the
      // connect rather than the first read of the upgrade.
      if (conn.handshake) {
        await Promise.race([
          conn.handshake().catch((err: unknown) => {
            throw new DockerConnectionError(this.#address, failureCode(err, this.#clientCert), explain(err, this.#clientCert), { cause: err });
          }),
          aborted,
        ]);
      }
      conn.setNoDelay?.(true);
      return conn;
    } catch (err) {
      connecting.then((conn) => conn.close(), () => {});
      throw err;
    } finally {
      unlisten();
    }
  }

  /** Closes the pooled connections (Deno's test sanitizer counts them as leaks). */
  async close(): Promise<void> {
    this.#pool.close();
    this.#lazy.client?.close();
    this.#lazy.client = undefined;
  }
}

function tlsFields(t: DenoTlsOptions): DenoTlsFields {
  const out: DenoTlsFields = {};
  if (t.ca) out.caCerts = [pemText(t.ca)];
  if (t.cert) out.cert = pemText(t.cert);
  if (t.key) out.key = pemText(t.key);
  return out;
}

// Deno's errors carry a class name rather than an errno code; berth's messages key on the code.
const CODE_BY_NAME: Record<string, string> = {
  NotFound: "ENOENT",
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNABORTED",
  PermissionDenied: "EACCES",
  BrokenPipe: "EPIPE",
  TimedOut: "ETIMEDOUT",
  AddrNotAvailable: "EADDRNOTAVAIL",
};

// fetch failures arrive as a TypeError whose cause's message ends in "(os error N)" (Linux errno).
const CODE_BY_ERRNO: Record<string, string> = {
  "1": "EPERM",
  "2": "ENOENT",
  "13": "EACCES",
  "32": "EPIPE",
  "104": "ECONNRESET",
  "110": "ETIMEDOUT",
  "111": "ECONNREFUSED",
  "113": "EHOSTUNREACH",
};

/** The errno-style code of a Deno error, looking through `cause`s. */
function errorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && e.code) return e.code;
    if (typeof e.name === "string" && CODE_BY_NAME[e.name]) return CODE_BY_NAME[e.name];
    const errno = /\(os error (\d+)\)/.exec(String(e.message))?.[1];
    if (errno && CODE_BY_ERRNO[errno]) return CODE_BY_ERRNO[errno];
    if (/connection refused/i.test(String(e.message))) return "ECONNREFUSED";
  }
  return undefined;
}

/** The messages along an error's causes: Deno's fetch says only "fetch failed" at the top. */
function messages(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const text = String(e.message ?? e);
    if (text && !out.some((m) => m.includes(text))) out.push(text);
  }
  return out;
}

/**
 * What a TLS failure means, from rustls's wording (Deno's TLS), in the words berth uses on every
 * runtime (src/errors/advice.ts); undefined when the failure is not a TLS one.
 */
function tlsFailure(text: string, clientCert: boolean): string | undefined {
  const refused = certificateRefused(clientCert);
  if (/invalid peer certificate: (UnknownIssuer|BadSignature)/i.test(text)) return TLS_ADVICE.untrustedCa;
  if (/invalid peer certificate: Expired/i.test(text)) return TLS_ADVICE.expired;
  if (/invalid peer certificate: NotValidYet/i.test(text)) return TLS_ADVICE.notYetValid;
  // rustls's wording: "NotValidForName" before 0.23, "certificate not valid for name ..." since.
  if (/invalid peer certificate: (NotValidForName|certificate not valid for name)/i.test(text)) return TLS_ADVICE.wrongName;
  if (/received fatal alert: (BadCertificate|CertificateRequired|UnknownCA|CertificateUnknown)/i.test(text)) return refused;
  if (/InvalidContentType|corrupt message|invalid message/i.test(text)) return TLS_ADVICE.notTls;
  if (/invalid peer certificate|received fatal alert|handshake/i.test(text)) return TLS_ADVICE.handshake;
  return undefined;
}

/** A failure's message: the causes joined, and a TLS failure explained. */
function explain(err: unknown, clientCert: boolean): string {
  const text = messages(err).join(": ");
  const why = tlsFailure(text, clientCert);
  return why ? tlsFailed(why, text) : text;
}

/** The errno-style code, or EPROTO for a TLS failure (which Deno reports without a code). */
function failureCode(err: unknown, clientCert: boolean): string | undefined {
  return errorCode(err) ?? (tlsFailure(messages(err).join(": "), clientCert) ? "EPROTO" : undefined);
}

/**
 * fetch through the transport's HttpClient, with the failure's code and full message where
 * FetchTransport looks for them, and a missing permission as the DockerConnectionError naming it.
 */
function explainingFetch(clientCert: boolean, client: () => DenoHttpClient | undefined, permission: (err: unknown) => DockerConnectionError | undefined): typeof fetch {
  return async (input, init) => {
    const http = client();
    try {
      // Deno's fetch takes `client`; the DOM's RequestInit, which this file is also checked with, does not.
      const withClient: RequestInit | undefined = http ? ({ ...init, client: http } as unknown as RequestInit) : init;
      return await fetch(input, withClient);
    } catch (err) {
      if ((err as Error)?.name === "AbortError") throw err;
      const denied = permission(err);
      if (denied) throw denied;
      if (err instanceof TypeError && !(err as { cause?: unknown }).cause && /header/i.test(err.message)) throw err; // bad input: FetchTransport names it
      throw Object.assign(new Error(explain(err, clientCert), { cause: err }), { code: failureCode(err, clientCert) });
    }
  };
}

/**
 * A refusal for want of a permission flag, as a DockerConnectionError giving the flags that reach
 * this endpoint; undefined for any other failure.
 */
function permissionError(err: unknown, endpoint: DenoEndpoint, address: string): DockerConnectionError | undefined {
  const missing = missingPermission(err);
  if (!missing) return undefined;
  const flags = "socketPath" in endpoint
    ? // net for the socket and for "docker", the placeholder host of the request URLs
      `--allow-net=docker,unix:${endpoint.socketPath} --allow-read=${endpoint.socketPath} --allow-write=${endpoint.socketPath} (a unix socket needs read and write permission)`
    : `--allow-net=${bracketed(endpoint.hostname)}:${endpoint.port}`;
  return new DockerConnectionError(address, "NotCapable", `Deno refused ${missing.flag.replace("--allow-", "")} access to ${missing.target}: run deno with ${flags}`, { cause: err });
}

/** A failed read or write as berth's error, in the words of src/errors/advice.ts for TLS. */
function connectionFailure(err: unknown, fallback: string, address: string, clientCert: boolean): DockerConnectionError {
  return err instanceof DockerConnectionError ? err : new DockerConnectionError(address, failureCode(err, clientCert) ?? fallback, explain(err, clientCert), { cause: err });
}

/**
 * A Deno.Conn as a Duplex. Reads are pulled (one read per pull, so a slow consumer bounds
 * memory); the writable's close is `closeWrite()`, a half-close, where Deno's own `conn.writable`
 * would close the whole connection. EOF is confirmed by `confirmEnd` before the stream ends.
 */
function connDuplex(conn: DenoConn, address: string, clientCert: boolean, confirmEnd: () => Promise<Error | undefined>): Duplex {
  let closed = false;
  const failure = (err: unknown, fallback: string) => connectionFailure(err, fallback, address, clientCert);
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // already closed by the runtime
    }
  };
  const reads = new SlabReads(conn);
  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let bytes: Uint8Array | null;
        try {
          bytes = await reads.read();
        } catch (err) {
          // Closed by us (close()) while a read was pending, or reset by the engine.
          throw closed ? new DockerConnectionError(address, "ECONNRESET", "the connection was closed before the stream ended", { cause: err }) : failure(err, "ECONNRESET");
        }
        if (bytes === null) {
          // EOF is also all a killed engine leaves: the end counts once the engine answers a ping.
          const failure = await confirmEnd();
          if (failure) throw failure;
          return controller.close();
        }
        controller.enqueue(bytes);
      },
      cancel() {
        close();
      },
    },
    { highWaterMark: 0 },
  );
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (closed) throw new DockerConnectionError(address, "EPIPE", "the connection is closed");
      try {
        for (let offset = 0; offset < chunk.length; ) offset += await conn.write(chunk.subarray(offset));
      } catch (err) {
        throw failure(err, "EPIPE");
      }
    },
    async close() {
      // Half-close: the engine sees EOF on stdin, its output keeps coming.
      if (closed) return;
      try {
        await conn.closeWrite();
      } catch (err) {
        throw failure(err, "EPIPE");
      }
    },
    abort() {
      close();
    },
  });
  return { readable, writable, close };
}
