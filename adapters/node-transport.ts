// The Node transport: HTTP/1.1 over node:net/node:tls (unix socket, TCP, TLS, or a given Duplex)
// with a bounded keep-alive pool (node-http1.ts), and the raw duplex of attach and exec. Bodies
// stream in both directions. node:tls and node:https load when an https endpoint's transport is
// made, not with the package: they are a sixth of what `import "berth-docker"` costs, and most
// programs talk to a unix socket.

import http from "node:http";
import type https from "node:https";
import net from "node:net";
import type { Duplex as NodeDuplex } from "node:stream";
import type tls from "node:tls";
import { CONNECTION_ADVICE, tlsFailed } from "../src/errors/advice.ts";
import { onAbort } from "../src/request/deadline.ts";
import { endpointAddress, endpointHostHeader, type Endpoint, type TlsOptions } from "../src/server/endpoint.ts";
import { DockerConnectionError } from "../src/errors/errors.ts";
import type { Duplex, Transport, TransportRequest, TransportResponse } from "../src/transport/transport.ts";
import { Http1Pool, drained, readInto } from "./node-http1.ts";
import { poolLimits } from "../src/transport/http/pool-limits.ts";
import { tlsFailure } from "./tls-failure.ts";

export { tlsFailure };

/** PEM material for https engines. Verification is always on. */
export interface NodeTlsOptions extends TlsOptions {}

export type NodeEndpoint = Endpoint<NodeTlsOptions>;

export interface NodeTransportOptions {
  /** Most simultaneous connections for calls; further calls queue. Default 64; streams do not count. */
  maxSockets?: number;
  /**
   * Opens a connection instead of dialling the endpoint (ssh dial-stdio, tests). It may return any
   * Duplex that behaves like a connected socket; pooled ones are reused like sockets.
   */
  createConnection?: () => NodeDuplex;
  /** Address shown in messages. */
  address?: string;
  /**
   * Milliseconds an idle pooled connection is kept before it is closed; 0 keeps it until the engine
   * closes it. Default 90 s. Idle connections never keep the process alive.
   */
  idleTimeout?: number;
}

interface TlsModules {
  tls: typeof tls;
  https: typeof https;
}

/** node:tls and node:https, loaded once, on the first https endpoint. */
let tlsModules: Promise<TlsModules> | undefined;
const loadTls = (): Promise<TlsModules> =>
  (tlsModules ??= Promise.all([import("node:tls"), import("node:https")]).then(([t, h]) => ({ tls: t.default, https: h.default })));

export class NodeTransport implements Transport {
  readonly address: string;
  readonly #endpoint: NodeEndpoint;
  readonly #pool: Http1Pool;
  readonly #createConnection: (() => NodeDuplex) | undefined;
  readonly #tls: boolean;
  /** node:tls and node:https once loaded (https endpoints); until then requests wait for them. */
  #tlsModules: TlsModules | undefined;
  #tlsLoading: Promise<TlsModules> | undefined;
  /** Fresh connections for liveness probes, never the pool's (whose sockets may be the dead ones). */
  #probeAgent: http.Agent | undefined;

  constructor(endpoint: NodeEndpoint, options: NodeTransportOptions = {}) {
    this.#endpoint = endpoint;
    this.#createConnection = options.createConnection;
    this.address = options.address ?? endpointAddress(endpoint);
    this.#tls = "protocol" in endpoint && endpoint.protocol === "https";
    if (this.#tls) this.#tlsLoading = loadTls().then((m) => (this.#tlsModules = m));
    const limits = poolLimits(options);
    this.#pool = new Http1Pool({
      open: (onRead) => this.#open(onRead),
      maxSockets: limits.maxSockets,
      host: endpointHostHeader(endpoint),
      address: this.address,
      mapError: (err, socket) => this.#connectionError(err, socket),
      confirmEnd: () => this.#confirmEnd(),
      idleTimeout: limits.idleTimeout,
    });
  }

  /**
   * A new connection for the pool: the given factory's (an ssh process is then reused), or a socket.
   * Plain sockets read through readInto (one callback per read); TLS sockets emit 'data'.
   */
  #open(onRead: (bytes: Uint8Array) => void): NodeDuplex {
    if (this.#createConnection) return this.#createConnection();
    const endpoint = this.#endpoint;
    if ("socketPath" in endpoint) return net.connect({ path: endpoint.socketPath, onread: readInto(onRead) });
    if (endpoint.protocol === "https") return this.#tlsModules!.tls.connect({ host: endpoint.hostname, port: endpoint.port, ...tlsOptions(endpoint.tls ?? {}) });
    return net.connect({ host: endpoint.hostname, port: endpoint.port, onread: readInto(onRead) });
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    // Keep-alive, queueing, streaming and backpressure live in the pool: see node-http1.ts.
    if (this.#tls && !this.#tlsModules) return this.#tlsLoading!.then(() => this.#pool.request(req));
    return this.#pool.request(req);
  }

  /** The agent of liveness probes, made on the first probe. */
  #probe(): { module: typeof http | typeof https; agent: http.Agent } {
    const options: https.AgentOptions = { keepAlive: false, maxSockets: 4 };
    if (!this.#tls) return { module: http, agent: (this.#probeAgent ??= new http.Agent(options)) };
    const endpoint = this.#endpoint;
    if ("tls" in endpoint && endpoint.tls) Object.assign(options, tlsOptions(endpoint.tls));
    const { https } = this.#tlsModules!;
    return { module: https, agent: (this.#probeAgent ??= new https.Agent(options)) };
  }

  /**
   * A raw stream (attach, exec) ends when the engine closes the connection, which is also all a
   * killed engine does: the bytes cannot tell the two apart. So the end is confirmed by asking the
   * engine on a fresh connection; if it no longer answers, the stream errors instead of ending.
   * Over ssh no probe is made (it would start an ssh process per stream end).
   */
  async #confirmEnd(): Promise<Error | undefined> {
    if (this.#createConnection) return undefined;
    const { module, agent } = this.#probe();
    return new Promise<Error | undefined>((resolve) => {
      const options: http.RequestOptions = { agent, method: "GET", path: "/_ping", timeout: PROBE_TIMEOUT };
      if ("socketPath" in this.#endpoint) {
        options.socketPath = this.#endpoint.socketPath;
        options.headers = { host: "docker" };
      } else {
        options.hostname = this.#endpoint.hostname;
        options.port = this.#endpoint.port;
      }
      const probe = module.request(options, (res) => {
        res.resume();
        resolve(undefined); // any answer: the engine is there, the stream simply ended
      });
      // No answer in time is not proof of death: the stream keeps its normal end.
      probe.once("timeout", () => { probe.destroy(); resolve(undefined); });
      probe.once("error", (err: Error & { code?: string }) => {
        // ECONNRESET, not the probe's own code: what failed is the stream, cut mid-way.
        resolve(new DockerConnectionError(this.address, "ECONNRESET",
          CONNECTION_ADVICE.engineGone(err.message), { cause: err }));
      });
      probe.end();
    });
  }

  async connect(signal?: AbortSignal): Promise<Duplex> {
    if (this.#tls && !this.#tlsModules) await this.#tlsLoading;
    return new Promise<Duplex>((resolve, reject) => {
      let socket: NodeDuplex;
      const endpoint = this.#endpoint;
      // Plain sockets read through readInto, as the pool's do; the stream made below takes over.
      const reads = new ReadRelay();
      if (this.#createConnection) {
        socket = this.#createConnection();
      } else if ("socketPath" in endpoint) {
        socket = net.connect({ path: endpoint.socketPath, allowHalfOpen: true, onread: readInto(reads.deliver) });
      } else if (endpoint.protocol === "https") {
        // allowHalfOpen is honoured by TLSSocket (a net.Socket) though its options type omits it.
        socket = this.#tlsModules!.tls.connect({ host: endpoint.hostname, port: endpoint.port, ...tlsOptions(endpoint.tls ?? {}), allowHalfOpen: true } as tls.ConnectionOptions);
      } else {
        socket = net.connect({ host: endpoint.hostname, port: endpoint.port, allowHalfOpen: true, onread: readInto(reads.deliver) });
      }
      const unlisten = onAbort(signal, () => socket.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted")));
      const ready = this.#isTls(socket) ? "secureConnect" : "connect";
      const alreadyConnected = this.#createConnection !== undefined;
      const done = () => {
        unlisten();
        socket.off("error", failed);
        (socket as Partial<net.Socket>).setNoDelay?.(true);
        resolve(socketDuplex(socket, reads, this.address, () => this.#confirmEnd()));
      };
      const failed = (err: Error) => {
        unlisten();
        reject(this.#connectionError(err, socket));
      };
      socket.once("error", failed);
      if (alreadyConnected) queueMicrotask(done);
      else socket.once(ready, done);
    });
  }

  async close(): Promise<void> {
    this.#pool.close();
    this.#probeAgent?.destroy();
  }

  #isTls(socket: unknown): socket is tls.TLSSocket {
    return this.#tlsModules !== undefined && socket instanceof this.#tlsModules.tls.TLSSocket;
  }

  #connectionError(err: Error & { code?: string }, socket?: unknown): Error {
    if (err.name === "AbortError") return err; // the core turns this into a timeout or abort error
    if (this.#tls) {
      // A reset before the handshake completed is the engine refusing us at the TLS level.
      const handshaking = !(this.#isTls(socket) && socket.authorized);
      const endpoint = this.#endpoint;
      const clientCert = "tls" in endpoint && endpoint.tls?.cert !== undefined;
      const why = tlsFailure(err, { handshaking, clientCert });
      if (why) return new DockerConnectionError(this.address, err.code, tlsFailed(why, openSslReason(err.message)), { cause: err });
    }
    return new DockerConnectionError(this.address, err.code, err.message, { cause: err });
  }
}

/** OpenSSL's `...:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:file:line:` → the reason. */
function openSslReason(message: string): string {
  return /error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(message)?.[1]?.trim() ?? message.trim();
}

function tlsOptions(t: NodeTlsOptions): tls.ConnectionOptions {
  const out: tls.ConnectionOptions = { rejectUnauthorized: true };
  if (t.ca) out.ca = toPem(t.ca);
  if (t.cert) out.cert = toPem(t.cert);
  if (t.key) out.key = toPem(t.key);
  if (t.servername) out.servername = t.servername;
  return out;
}

function toPem(v: string | Uint8Array): string | Buffer {
  return typeof v === "string" ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Checks, once a stream ended at EOF, whether the engine went away: the error to raise, if so. */
type ConfirmEnd = () => Promise<Error | undefined>;

const PROBE_TIMEOUT = 2_000;

function prematureClose(err: (Error & { code?: string }) | undefined, address: string): Error {
  if (err?.name === "AbortError") return err;
  if (err instanceof DockerConnectionError) return err;
  // An ssh connection's own explanation (unreachable host, refused key) is the useful part.
  const detail = err?.code === "ESSH" ? err.message : CONNECTION_ADVICE.beforeResponseEnd;
  return new DockerConnectionError(address, err?.code ?? "ECONNRESET", detail, { cause: err });
}

/**
 * The reads of a socket made with `onread: readInto(relay.deliver)`, for whoever listens; those
 * that come before anyone does are kept for the first listener (as a Readable would buffer them).
 */
class ReadRelay {
  #listener: ((bytes: Uint8Array) => void) | null = null;
  #early: Uint8Array[] = [];
  readonly deliver = (bytes: Uint8Array): void => {
    if (this.#listener) this.#listener(bytes);
    else this.#early.push(bytes);
  };
  listen(listener: (bytes: Uint8Array) => void): void {
    this.#listener = listener;
    for (const bytes of this.#early.splice(0)) listener(bytes);
  }
}

/**
 * A pull-based ReadableStream over a Node readable: data flows while the consumer keeps up and the
 * socket is paused when the queue is full, so a slow consumer bounds memory. Cancelling destroys the
 * source and releases its socket. A socket reading through readInto delivers to `reads`; any
 * other emits 'data'.
 */
function readableFromNode(
  source: NodeJS.ReadableStream & { destroy(err?: Error): void; complete?: boolean; readableEnded?: boolean },
  reads: ReadRelay,
  address: string,
  confirmEnd?: ConfirmEnd,
): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const take = (chunk: Uint8Array) => {
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 1) <= 0) source.pause();
        };
        reads.listen(take);
        source.on("data", take);
        source.once("end", () => {
          if (finished) return;
          finished = true;
          if (!confirmEnd) return controller.close();
          void confirmEnd().then((failure) => {
            try {
              if (failure) controller.error(failure);
              else controller.close();
            } catch {
              // cancelled meanwhile: nothing is reading any more
            }
          });
        });
        source.once("error", (err: Error) => {
          if (finished) return;
          finished = true;
          controller.error(prematureClose(err, address));
        });
        source.once("close", () => {
          if (finished) return;
          // Closed without 'end': the engine died or the connection dropped mid-stream.
          finished = true;
          controller.error(prematureClose(undefined, address));
        });
      },
      pull() {
        source.resume();
      },
      cancel() {
        finished = true;
        source.destroy();
      },
    },
    { highWaterMark: 16 },
  );
}

function socketDuplex(socket: NodeDuplex, reads: ReadRelay, address: string, confirmEnd?: ConfirmEnd): Duplex {
  const readable = readableFromNode(socket, reads, address, confirmEnd);
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed) throw new DockerConnectionError(address, "EPIPE", CONNECTION_ADVICE.closed);
      if (socket.write(chunk)) return;
      return drained(socket);
    },
    close() {
      // Half-close: the engine sees EOF on stdin, the read side stays open.
      return new Promise<void>((resolve) => socket.end(resolve));
    },
    abort() {
      socket.destroy();
    },
  });
  return {
    readable,
    writable,
    close() {
      socket.destroy();
    },
  };
}
