// The services a build session offers the engine (BuildKit's session/*.proto), as gRPC handlers by
// method path. Each handler answers only what it was given: an unknown secret or agent id is
// NOT_FOUND, and no error text carries a secret's value or where it was read from.

import type { CredentialSource } from "../../request/engine.ts";
import { ProtoReader, WIRE_LENGTH } from "../../protobuf/reader.ts";
import { ProtoWriter } from "../../protobuf/writer.ts";
import { encodeUtf8 } from "../../streams/bytes.ts";
import { GrpcError, GrpcStatus, unary, type GrpcHandler } from "../../grpc/server.ts";
import type { SessionHost } from "./host.ts";
import type { BuildSecret } from "./options.ts";

export type Services = Map<string, GrpcHandler>;

/** grpc.health.v1: the engine checks the session every few seconds and drops it after two misses. */
export function addHealth(services: Services): void {
  services.set("/grpc.health.v1.Health/Check", unary(async () => new ProtoWriter().varint(1, 1).finish())); // SERVING
}

/** moby.buildkit.secrets.v1.Secrets/GetSecret */
export function addSecrets(services: Services, secrets: ReadonlyMap<string, BuildSecret>, host: SessionHost | undefined): void {
  services.set(
    "/moby.buildkit.secrets.v1.Secrets/GetSecret",
    unary(async (request) => {
      const id = stringField(request, 1);
      const secret = secrets.get(id);
      if (secret === undefined) throw new GrpcError(GrpcStatus.NOT_FOUND, `secret ${id} not found`);
      return new ProtoWriter().bytes(1, await secretValue(id, secret, host)).finish();
    }),
  );
}

async function secretValue(id: string, secret: BuildSecret, host: SessionHost | undefined): Promise<Uint8Array> {
  if (typeof secret === "string") return encodeUtf8(secret);
  if (secret instanceof Uint8Array) return secret;
  // Checked before the build: a file or env secret is only accepted with a host.
  if ("env" in secret) {
    const value = host!.env(secret.env);
    if (value === undefined) throw new GrpcError(GrpcStatus.NOT_FOUND, `secret ${id}: its environment variable is not set`);
    return encodeUtf8(value);
  }
  try {
    return await host!.readFile(secret.file);
  } catch {
    throw new GrpcError(GrpcStatus.NOT_FOUND, `secret ${id}: its file cannot be read`);
  }
}

/** moby.filesync.v1.Auth: credentials for a registry host, from the build's or berth's credential source. */
export function addAuth(services: Services, credentials: CredentialSource): void {
  services.set(
    "/moby.filesync.v1.Auth/Credentials",
    unary(async (request) => {
      const host = stringField(request, 1);
      // An image name on that host, for a source that looks images up (Docker Hub's hosts map to docker.io).
      const auth = await credentials.forImage(`${host}/image`).catch(() => undefined);
      const out = new ProtoWriter();
      if (auth?.identitytoken) out.string(2, auth.identitytoken); // no user name: the secret is a refresh token
      else if (auth?.username !== undefined || auth?.password !== undefined) out.string(1, auth.username ?? "").string(2, auth.password ?? "");
      return out.finish();
    }),
  );
  // The engine then fetches tokens itself with the credentials above.
  services.set("/moby.filesync.v1.Auth/FetchToken", async () => {
    throw new GrpcError(GrpcStatus.UNIMPLEMENTED, "FetchToken is not implemented: use Credentials");
  });
}

/** moby.sshforward.v1.SSH: each ForwardAgent call is one connection to the agent socket, piped both ways. */
export function addSsh(services: Services, agents: ReadonlyMap<string, string>, host: SessionHost): void {
  services.set(
    "/moby.sshforward.v1.SSH/CheckAgent",
    unary(async (request) => {
      const id = stringField(request, 1) || "default";
      if (!agents.has(id)) throw new GrpcError(GrpcStatus.NOT_FOUND, `no ssh agent ${id}`);
      return new Uint8Array(0);
    }),
  );
  services.set("/moby.sshforward.v1.SSH/ForwardAgent", async (call) => {
    const id = call.metadata["buildkit.ssh.id"] || "default";
    const path = agents.get(id);
    if (path === undefined) throw new GrpcError(GrpcStatus.NOT_FOUND, `no ssh agent ${id}`);
    let agent;
    try {
      agent = await host.connectUnix(path);
    } catch {
      throw new GrpcError(GrpcStatus.UNAVAILABLE, `ssh agent ${id} does not answer`);
    }
    const stop = (): void => agent.close();
    call.signal.addEventListener("abort", stop, { once: true });
    try {
      const toEngine = (async () => {
        const reader = agent.readable.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          await call.send(new ProtoWriter().bytes(1, value).finish());
        }
      })();
      // Awaited below; until then a failure (the engine reset the call) must not go unhandled.
      toEngine.catch(() => {});
      const writer = agent.writable.getWriter();
      for await (const message of call.messages) {
        const data = bytesField(message, 1);
        if (data.length) await writer.write(data);
      }
      // The engine is done asking: EOF to the agent, whose answers still flow back.
      await writer.close().catch(() => {});
      await toEngine;
    } finally {
      call.signal.removeEventListener("abort", stop);
      agent.close();
    }
  });
}

function bytesField(message: Uint8Array, wanted: number): Uint8Array {
  const r = new ProtoReader(message);
  let found: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const field = r.field();
    if (field === wanted && r.is(WIRE_LENGTH)) found = r.bytes();
    else if (field !== wanted) r.skip();
  }
  return found;
}

function stringField(message: Uint8Array, wanted: number): string {
  return new TextDecoder().decode(bytesField(message, wanted));
}
