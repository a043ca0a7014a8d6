// berth-docker/lite against the real engine, reached by URL as a page reaches it: through berth's
// loopback engine proxy (adapters/node-proxy.ts). The generated operations create, start, list,
// stop and remove what they assert on, labelled; versions are checked against the engine's own.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as lite from "../../adapters/lite.ts";
import { startEngineProxy, type EngineProxy } from "../../adapters/node-proxy.ts";
import { IMAGE, useEngine } from "./helpers.ts";

const { docker, labels, run, uniqueName } = useEngine("lite");
let proxy: EngineProxy;
let engine: lite.Engine;
beforeAll(async () => {
  proxy = await startEngineProxy();
  engine = lite.connect({ url: proxy.url });
});
afterAll(() => proxy?.close());

describe("berth-docker/lite on the engine", () => {
  it("creates, starts, lists, inspects, stops and removes a container and a network with the generated operations", async () => {
    const network = await lite.networkCreate(engine, { Name: uniqueName("lite-net"), Labels: labels });
    const { Id } = await lite.containerCreate(engine, { Image: IMAGE, Cmd: ["sleep", "30"], Labels: labels, HostConfig: { NetworkMode: network.Id } }, { name: uniqueName("lite") });
    await lite.containerStart(engine, Id);
    await lite.containerStart(engine, Id); // 304: already running
    const listed = await lite.containerList(engine, { filters: { label: [`berth.test.run=${run}`] } });
    expect(listed.map((c) => c.Id)).toEqual([Id]);
    expect((await lite.containerInspect(engine, Id)).State?.Running).toBe(true);
    expect((await lite.networkInspect(engine, network.Id!)).Containers?.[Id]).toBeDefined();
    await lite.containerStop(engine, Id, { t: 0 });
    await lite.containerStop(engine, Id); // 304: already stopped
    await lite.containerDelete(engine, Id);
    await lite.networkDelete(engine, network.Id!);
    const missing = await lite.containerInspect(engine, Id).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(lite.DockerNotFoundError);
    expect((missing as lite.DockerHttpError).status).toBe(404);
    // The lite functions written by hand see the same engine through the same handle.
    expect((await lite.listContainers(engine, { all: true, filters: { label: [`berth.test.run=${run}`] } })).length).toBe(0);
  });

  it("refuses an option newer than the engine's API version before sending it", async () => {
    const api = (await docker.version()).ApiVersion!;
    const { Id } = await lite.containerCreate(engine, { Image: IMAGE, Cmd: ["true"], Labels: labels });
    try {
      if (Number(api.split(".")[1]) < 42) {
        const err = await lite.containerStop(engine, Id, { stopSignal: "SIGINT" }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(lite.DockerVersionError);
        expect((err as lite.DockerVersionError).actual).toBe(api);
      } else {
        await lite.containerStop(engine, Id, { stopSignal: "SIGINT" });
      }
      const pinned = lite.connect({ url: proxy.url, version: "1.41" });
      await expect(lite.volumeUpdate(pinned, "any", { Spec: {} }, { version: 1 })).rejects.toBeInstanceOf(lite.DockerVersionError);
    } finally {
      await lite.containerDelete(engine, Id, { force: true });
    }
  });
});
