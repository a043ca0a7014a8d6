// TLS options given in code: a client certificate without its key (or the reverse) is a
// DockerConfigError when the Docker is made, before any connection, rather than a handshake the
// engine refuses and that reads as the engine's fault.
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Docker, DockerConfigError } from "../../adapters/node.ts";
import { checkTlsPair } from "../../src/server/endpoint.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEY\n-----END PRIVATE KEY-----\n";

let server: Server;
let port = 0;
let connections = 0;
beforeAll(async () => {
  server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("Node tls: { cert, key } come in pairs", () => {
  it.each([
    [{ cert: CERT }, /client certificate was given without its key: pass tls\.key/],
    [{ key: KEY }, /client key was given without its certificate: pass tls\.cert/],
    [{ cert: CERT, key: "" }, /without its key/],
  ])("%j is a DockerConfigError before connecting", (tls, why) => {
    for (const make of [
      () => new Docker({ host: `https://127.0.0.1:${port}`, tls }),
      () => new Docker({ host: `tcp://127.0.0.1:${port}`, tls }),
      () => Docker.fromEnv({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` }, tls }),
    ]) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DockerConfigError);
      expect((err as Error).message).toMatch(why);
      expect((err as Error).message).not.toContain("TOPSECRET");
    }
    expect(connections).toBe(0);
  });

  it("both, or neither, are accepted", async () => {
    expect(() => checkTlsPair({ cert: CERT, key: KEY })).not.toThrow();
    expect(() => checkTlsPair({ ca: CERT } as { cert?: string })).not.toThrow();
    const docker = new Docker({ host: `https://127.0.0.1:${port}`, tls: { cert: CERT, key: KEY } });
    await docker.close();
  });
});
