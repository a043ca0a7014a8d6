// A BuildKit build session: `POST /session` takes a connection over (Upgrade: h2c), and from then
// on the engine is the HTTP/2 client on it and berth the server, answering the gRPC calls BuildKit
// makes while it builds (secrets, ssh agents, registry credentials). The build request names the
// session (`session=<id>`); the session is closed when the build's output ends or is cancelled.

import type { Client, CredentialSource } from "../../request/engine.ts";
import { DockerUnsupportedError } from "../../errors/errors.ts";
import { serveCall } from "../../grpc/server.ts";
import type { Http2Served } from "./host.ts";
import type { BuildSecret } from "./options.ts";
import { addAuth, addHealth, addSecrets, addSsh, type Services } from "./services.ts";
import type { ContextSent } from "../build-stream.ts";
import type { ContextFileSystem } from "../../server/build/context.ts";
import { DIFF_COPY, diffCopy, type SyncedDir } from "../filesync/service.ts";

export interface SessionWants {
  secrets?: ReadonlyMap<string, BuildSecret>;
  /** Agent ids to socket paths; undefined paths mean SSH_AUTH_SOCK. */
  ssh?: ReadonlyMap<string, string | undefined>;
  /** Where registry credentials come from; default the client's credential source. */
  credentials?: CredentialSource;
  /** Local directories the engine syncs by name (`context`, `dockerfile`), and the count of what went. */
  dirs?: { fs: ContextFileSystem; named: ReadonlyMap<string, SyncedDir>; count: ContextSent };
}

/** True where this runtime can serve a session (server runtimes with raw sockets). */
export function canServeSession(client: Client): boolean {
  return client.sessionHost !== undefined && client.transport.connect !== undefined;
}

export interface BuildSession {
  readonly id: string;
  close(): void;
}

/**
 * Refuses, before any request, what this runtime cannot serve; returns the services to offer.
 * Needing a host (HTTP/2 on a hijacked connection) is a DockerUnsupportedError naming why.
 */
export function sessionServices(client: Client, wants: SessionWants): Services {
  const host = client.sessionHost;
  if (!host || !canServeSession(client)) {
    throw new DockerUnsupportedError(
      `A build with secrets or ssh needs a BuildKit session (the engine calls back over an upgraded HTTP/2 connection), which this runtime's adapter for ${client.transport.address} cannot serve: use Node, Bun or Deno`,
    );
  }
  const services: Services = new Map();
  addHealth(services);
  if (wants.secrets) addSecrets(services, wants.secrets, host);
  if (wants.ssh) {
    const agents = new Map<string, string>();
    for (const [id, path] of wants.ssh) {
      const resolved = path ?? host.env("SSH_AUTH_SOCK");
      if (!resolved) throw new DockerUnsupportedError(`ssh agent forwarding (ssh: true) needs SSH_AUTH_SOCK, which is not set: start an agent or give { ${id}: "/path/to/agent.sock" }`);
      agents.set(id, resolved);
    }
    addSsh(services, agents, host);
  }
  if (wants.dirs) services.set(DIFF_COPY, diffCopy(wants.dirs.fs, wants.dirs.named, wants.dirs.count));
  const credentials = wants.credentials ?? client.credentials;
  if (credentials) addAuth(services, credentials);
  return services;
}

/** Opens the session and starts serving it; resolves once the engine has taken the connection over. */
export async function openSession(client: Client, services: Services, signal?: AbortSignal, sharedKey?: string): Promise<BuildSession> {
  const host = client.sessionHost!;
  const id = randomId();
  const conn = await client.hijack({
    method: "POST",
    path: "/session",
    upgradeProtocol: "h2c",
    signal,
    headers: {
      "X-Docker-Expose-Session-Uuid": id,
      "X-Docker-Expose-Session-Name": "berth",
      // BuildKit keys its copy of the synced directories by it: the same key for the same
      // directory lets a rebuild send only what changed.
      "X-Docker-Expose-Session-Sharedkey": sharedKey ?? id,
    },
    listHeaders: { "X-Docker-Expose-Session-Grpc-Method": [...services.keys()] },
  });
  let served: Http2Served;
  try {
    served = await host.serveHttp2(conn, (stream) => void serveCall(stream, services));
  } catch (err) {
    conn.close();
    throw err;
  }
  const close = (): void => {
    served.close();
    conn.close();
  };
  return { id, close };
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out.slice(0, 25);
}
