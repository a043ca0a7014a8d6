// An engine mocked with msw for one test file: the server, started and stopped around the file's
// tests, and a Docker speaking API 1.41 to it over fetch.
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { Docker, type DockerOptions } from "../../src/docker.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";

export const BASE = "http://engine.test";

export function mockedEngine() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  const docker = (options: Partial<DockerOptions> = {}) => new Docker({ transport: new FetchTransport(BASE), version: "1.41", ...options });
  return { server, docker };
}
