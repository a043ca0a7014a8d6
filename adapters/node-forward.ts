// Forwarding to an engine, for the two servers in front of one: the gateway (adapters/gateway.ts)
// and the browser tests' loopback proxy (adapters/node-proxy.ts). Each decides what may pass;
// what passes is forwarded here, the same way: requests streamed both ways without buffering,
// upgraded connections piped once the engine took them over.

import { request as httpRequest, type Agent, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Server as TlsServer } from "node:https";
import { connect, type AddressInfo, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { bracketed, DEFAULT_UNIX_SOCKET, parseDockerHost } from "../src/config/host.ts";
import { DockerConfigError } from "../src/errors/errors.ts";

export type Target = { socketPath: string } | { host: string; port: number };

/** Connection-level headers, which are not forwarded (RFC 9110 section 7.6.1). */
export const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);
/** Never forwarded to the engine: the front's own credentials. */
const CREDENTIALS = new Set(["authorization", "cookie"]);

export function targetOf(engine: string | undefined): Target {
  if (engine === undefined || engine === "") return { socketPath: DEFAULT_UNIX_SOCKET };
  const parsed = parseDockerHost(engine, { source: "engine" });
  if (parsed.kind === "unix") return { socketPath: parsed.path };
  if (parsed.kind === "tcp" && parsed.protocol === "http") return { host: parsed.hostname, port: parsed.port };
  throw new DockerConfigError(`engine="${engine}": expected a unix:// socket or a plain tcp:// engine to forward to`);
}

export function hostOf(target: Target): string {
  return "socketPath" in target ? "docker" : `${bracketed(target.host)}:${target.port}`;
}

export function forwardHeaders(headers: IncomingHttpHeaders, target: Target): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || CREDENTIALS.has(name)) continue;
    out[name] = value;
  }
  out.host = hostOf(target);
  return out;
}

/**
 * Sends a request on to the engine at `path` and its answer back, both streamed. The engine's own
 * CORS headers (an engine started with --api-cors-header) never pass; `extra` headers are added
 * to the answer.
 */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, target: Target, agent: Agent, path: string, extra: Record<string, string> = {}): void {
  const upstream = httpRequest({ ...target, agent, method: req.method, path, headers: forwardHeaders(req.headers, target) }, (answer) => {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || name.startsWith("access-control-")) continue;
      out[name] = value;
    }
    Object.assign(out, extra);
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
    res.flushHeaders(); // a stream's headers now, before its first chunk (logs, events)
    answer.pipe(res);
    answer.on("error", () => res.destroy());
  });
  upstream.on("error", (err) => {
    if (!res.headersSent) plain(res, 502, `the engine did not answer: ${err.message}\n`, extra);
    else res.destroy();
  });
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.on("error", () => upstream.destroy());
  req.pipe(upstream);
}

export function engineSocket(target: Target): Socket {
  return "socketPath" in target ? connect({ path: target.socketPath, allowHalfOpen: true }) : connect({ host: target.host, port: target.port, allowHalfOpen: true });
}

/** An HTTP answer written on a raw (upgrade) connection, which then ends. */
export function rawAnswer(client: Duplex, status: number, reason: string, body: string): void {
  client.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * An upgrade (attach, exec start, the WebSocket attach): the head goes to the engine as it came
 * (minus credentials, with the engine's Host), then the connections are piped. Half-closes pass
 * through (closing stdin of an exec or attach ends one direction only).
 */
export function pipeUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, target: Target, path: string): void {
  const engine = engineSocket(target);
  const lines = [`${req.method} ${path} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (CREDENTIALS.has(name)) continue;
    lines.push(name === "host" ? `Host: ${hostOf(target)}` : `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  }
  engine.write(lines.join("\r\n") + "\r\n\r\n");
  engine.pipe(client);
  // The client's bytes go to the engine only once it has taken the connection over (101, or 200
  // from an engine that answers so): on an error answer the engine would read them as the next
  // request, past every check.
  const early: Buffer[] = head.length > 0 ? [head] : [];
  const hold = (chunk: Buffer) => void early.push(chunk);
  client.on("data", hold);
  // The client done before the engine took over (it refused): nothing more will pass.
  const gone = () => {
    engine.destroy();
    client.end();
  };
  client.on("end", gone);
  let answered = false;
  engine.once("data", (first: Buffer) => {
    answered = true;
    if (!/^HTTP\/1\.[01] (101|200) /.test(first.subarray(0, 16).toString("latin1"))) return;
    client.off("data", hold);
    client.off("end", gone);
    for (const chunk of early) engine.write(chunk);
    client.pipe(engine);
  });
  engine.on("error", (err) => {
    if (answered) {
      engine.destroy();
      return void client.destroy();
    }
    // Nothing came back yet (no socket, say): the client gets an answer, not a silent close.
    rawAnswer(client, 502, "Bad Gateway", `the engine did not answer: ${err.message}\n`);
  });
  // The engine done: what it sent is flushed to the client, then the client's side ends (not
  // destroyed: that could drop the last bytes). The client gone: nobody reads the engine any more.
  engine.on("close", () => {
    if (!client.writableEnded) client.end();
  });
  client.on("error", () => engine.destroy());
  client.on("close", () => engine.destroy());
}

/** Starts listening; resolves with the port (0 picks a free one), rejects when the address is taken. */
export function listen(server: Server | TlsServer, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and ends every connection, the upgraded ones (which the server no longer tracks) included. */
export function closeServer(server: Server | TlsServer, upgraded: Set<Duplex>, agent: Agent): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of upgraded) socket.destroy();
    agent.destroy();
  });
}

export function plain(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" }).end(body);
}
