// berth-docker/lite, reached by URL as a page reaches it (through the loopback TCP door to the
// engine): the generated operations create, start, list, stop and remove what they assert on,
// labelled, and versions are checked against the engine's own. Every runtime runs it: lite is
// fetch only.

import * as lite from "../../adapters/lite.ts";
import type { Scenario } from "./context.ts";

const urlOf = (tcp: string) => tcp.replace(/^tcp:/, "http:");

export const liteScenarios: Scenario[] = [
  {
    name: "lite: creates, starts, lists, inspects, stops and removes a container and a network with the generated operations",
    async run({ assert, image, labels, run, name, tcpEngine }) {
      const engine = lite.connect({ url: urlOf(await tcpEngine()) });
      const networkName = name("lite-net");
      const network = await lite.networkCreate(engine, { Name: networkName, Labels: labels });
      const { Id } = await lite.containerCreate(engine, { Image: image, Cmd: ["sleep", "30"], Labels: labels, HostConfig: { NetworkMode: networkName } }, { name: name("lite") });
      try {
        await lite.containerStart(engine, Id);
        await lite.containerStart(engine, Id); // 304: already running, which is done
        const listed = await lite.containerList(engine, { filters: { label: [`berth.test.run=${run}`], id: [Id] } });
        assert.equal(listed.map((c) => c.Id), [Id]);
        assert.equal((await lite.containerInspect(engine, Id)).State?.Running, true);
        const networks = await lite.networkList(engine, { filters: { label: [`berth.test.run=${run}`] } });
        assert.ok(networks.some((n) => n.Id === network.Id), "the labelled network is listed");
        await lite.containerStop(engine, Id, { t: 0 });
        await lite.containerStop(engine, Id); // 304: already stopped
      } finally {
        await lite.containerDelete(engine, Id, { force: true });
        await lite.networkDelete(engine, network.Id!);
      }
      const missing = await assert.rejects(lite.containerInspect(engine, Id), lite.DockerNotFoundError);
      assert.equal(missing.status, 404);
      // The hand-written lite functions see the same engine through the same handle.
      assert.equal((await lite.listContainers(engine, { all: true, filters: { label: [`berth.test.run=${run}`], id: [Id] } })).length, 0);
    },
  },
  {
    name: "lite: an option newer than the engine's API version is refused before it is sent",
    async run({ docker, assert, image, labels, tcpEngine }) {
      const url = urlOf(await tcpEngine());
      const engine = lite.connect({ url });
      const api = (await docker.version()).ApiVersion!;
      const { Id } = await lite.containerCreate(engine, { Image: image, Cmd: ["true"], Labels: labels });
      try {
        if (Number(api.split(".")[1]) < 42) {
          const err = await assert.rejects(lite.containerStop(engine, Id, { stopSignal: "SIGINT" }), lite.DockerVersionError);
          assert.equal(err.actual, api);
        } else {
          await lite.containerStop(engine, Id, { stopSignal: "SIGINT" });
        }
        const pinned = lite.connect({ url, version: "1.41" });
        await assert.rejects(lite.volumeUpdate(pinned, "any", { Spec: {} }, { version: 1 }), lite.DockerVersionError);
      } finally {
        await lite.containerDelete(engine, Id, { force: true });
      }
    },
  },
];
