// The keep-alive pools' limits (src/transport/http/pool-limits.ts) are checked when a Docker is
// made: a pool allowed no connection would queue every call forever instead of failing.
import { describe, expect, it } from "vitest";
import { Docker, DockerConfigError } from "../../adapters/node.ts";
import { poolLimits } from "../../src/transport/http/pool-limits.ts";

describe("pool limits", () => {
  it("defaults to 64 connections and 90 s idle, and keeps what is given", () => {
    expect(poolLimits({})).toEqual({ maxSockets: 64, idleTimeout: 90_000 });
    expect(poolLimits({ maxSockets: 1, idleTimeout: 0 })).toEqual({ maxSockets: 1, idleTimeout: 0 });
    expect(poolLimits({ maxSockets: Number.POSITIVE_INFINITY }).maxSockets).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([{ maxSockets: 0 }, { maxSockets: -1 }, { maxSockets: 2.5 }, { maxSockets: Number.NaN }])("refuses %o, naming what it takes", (options) => {
    expect(() => poolLimits(options)).toThrow(DockerConfigError);
    expect(() => new Docker({ host: "tcp://127.0.0.1:2375", ...options })).toThrow(/Invalid maxSockets .*: expected a whole number of connections, 1 or more, or Infinity/);
  });

  it.each([{ idleTimeout: -5 }, { idleTimeout: Number.POSITIVE_INFINITY }, { idleTimeout: Number.NaN }])("refuses %o", (options) => {
    expect(() => new Docker({ socketPath: "/nonexistent.sock", ...options })).toThrow(/Invalid idleTimeout .*: expected milliseconds, or 0/);
  });
});
