// BuildKit build sessions: the engine asks berth, over the upgraded `POST /session` connection, for
// secrets, ssh agents and registry credentials while it builds. On Podman (buildah) and the classic
// builder there is no session, and asking for one is refused before anything is sent.

import { DockerBuildError } from "../../src/buildkit/build-stream.ts";
import { DockerAbortError, DockerConfigError, DockerUnsupportedError } from "../../src/errors/errors.ts";
import { collectBytes } from "../../src/streams/bytes.ts";
import { requireRegistry } from "./images.ts";
import type { Scenario, ScenarioContext } from "./context.ts";

/** The htpasswd registry of scripts/registry.sh. */
const AUTH_REGISTRY = "127.0.0.1:5001";
const AUTH = { username: "berth", password: "berth-registry-secret", serveraddress: AUTH_REGISTRY };

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * Session builds need the Docker engine's BuildKit. Podman has no `/session`: there a build asking
 * for one is refused before any request, which is what these scenarios assert on it (true: done).
 */
async function refusedOnPodman(ctx: ScenarioContext): Promise<boolean> {
  if (!(await ctx.docker.isPodman())) return false;
  const err = await ctx.assert.rejects(ctx.docker.images.build([{ name: "Dockerfile", data: "FROM scratch\n" }], { secrets: { x: "v" }, labels: ctx.labels }), DockerUnsupportedError);
  ctx.assert.match(err.message, /Podman/);
  return true;
}

export const sessionScenarios: Scenario[] = [
  {
    name: "BuildKit session: secrets (text, bytes, file) are readable in RUN and absent from the image and the output",
    timeout: 180_000,
    async run(ctx) {
      if (await refusedOnPodman(ctx)) return;
      const { docker, assert, run, labels, image, defer, tempDir } = ctx;
      const text = `berth-secret-text-${run}`;
      const bytes = new TextEncoder().encode(`berth-secret-bytes-${run}`);
      const fromFile = `berth-secret-file-${run}`;
      const dir = await tempDir({ "token.txt": fromFile });
      const tag = `berth-scenario-secret:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      const mounts = ["text", "bytes", "file"].map((id) => `--mount=type=secret,id=${id}`).join(" ");
      const dockerfile = `FROM ${image}\nRUN ${mounts} cd /run/secrets && sha256sum text bytes file > /digests && ls /run/secrets > /listed\n`;
      const output: string[] = [];
      const built = await docker.images.build([{ name: "Dockerfile", data: dockerfile }], {
        builder: "buildkit",
        tag,
        labels,
        noCache: true,
        secrets: { text, bytes, file: { file: `${dir}/token.txt` } },
        onEvent: (event) => output.push(JSON.stringify(event)),
      });
      const encoder = new TextEncoder();
      const expected = `${await sha256Hex(encoder.encode(text))}  text\n${await sha256Hex(bytes)}  bytes\n${await sha256Hex(encoder.encode(fromFile))}  file\n`;
      const seen = await docker.containers.run(tag, ["sh", "-c", "cat /digests; ls -A /run/secrets 2>/dev/null | wc -l"], { config: { Labels: labels } });
      assert.equal(seen.stdout, `${expected}0\n`, "the RUN step read each secret; the image keeps no secret file");
      const saved = await collectBytes(await docker.images.save([built.id]));
      for (const secret of [encoder.encode(text), bytes, encoder.encode(fromFile)]) {
        assert.ok(!contains(saved, secret), "a secret's value is in no layer of the saved image");
        assert.ok(!output.some((line) => line.includes(new TextDecoder().decode(secret))), "a secret's value is in no build event");
      }
    },
  },
  {
    name: "BuildKit session: a secret the build was not given fails the step, naming the id and no value",
    timeout: 120_000,
    async run(ctx) {
      if (await refusedOnPodman(ctx)) return;
      const { docker, assert, run, labels, image } = ctx;
      const value = `berth-secret-other-${run}`;
      const dockerfile = `FROM ${image}\nRUN --mount=type=secret,id=absent,required=true cat /run/secrets/absent\n`;
      const err = await assert.rejects(docker.images.build([{ name: "Dockerfile", data: dockerfile }], { builder: "buildkit", labels, noCache: true, secrets: { other: value } }), DockerBuildError);
      assert.match(err.message, /absent/);
      assert.ok(!err.message.includes(value) && !err.output.includes(value), "no secret value in the error");
    },
  },
  {
    name: "BuildKit session: ssh forwards an agent socket into RUN --mount=type=ssh",
    timeout: 120_000,
    async run(ctx) {
      if (await refusedOnPodman(ctx)) return;
      const { docker, assert, run, labels, image, listen } = ctx;
      // A listening socket stands in for the agent: the engine checks it exists (CheckAgent) and
      // mounts a socket forwarding to it; busybox has no ssh client to speak the agent protocol.
      const agent = await listen((conn) => conn.destroy());
      try {
        const dockerfile = `FROM ${image}\nRUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo agent-${run} at $SSH_AUTH_SOCK\n`;
        const built = await docker.images.build([{ name: "Dockerfile", data: dockerfile }], { builder: "buildkit", labels, noCache: true, ssh: { default: agent.socketPath } });
        assert.match(built.output, new RegExp(`agent-${run} at /run/buildkit/ssh_agent\\.0`));
        await docker.images.ref(built.id).remove({ force: true });
        const missing = `FROM ${image}\nRUN --mount=type=ssh,id=elsewhere,required=true true\n`;
        const err = await assert.rejects(docker.images.build([{ name: "Dockerfile", data: missing }], { builder: "buildkit", labels, noCache: true, ssh: { default: agent.socketPath } }), DockerBuildError);
        assert.match(err.message, /elsewhere/);
      } finally {
        await agent.close();
      }
    },
  },
  {
    name: "BuildKit session: a private base image is pulled with the build's registry credentials",
    timeout: 180_000,
    async run(ctx) {
      if (await refusedOnPodman(ctx)) return;
      await requireRegistry(ctx, AUTH_REGISTRY);
      const { docker, assert, run, labels, image, defer } = ctx;
      const base = `${AUTH_REGISTRY}/berth-session-base-${run}:v1`;
      await docker.images.ref(image).tag(base);
      await docker.images.ref(base).push({ auth: AUTH });
      await docker.images.ref(base).remove();
      defer(() => docker.images.ref(base).remove({ force: true }));
      const dockerfile = `FROM ${base}\nRUN echo private-${run} > /seen\n`;
      const built = await docker.images.build([{ name: "Dockerfile", data: dockerfile }], { builder: "buildkit", labels, noCache: true, registryConfig: { [AUTH_REGISTRY]: AUTH } });
      defer(() => docker.images.ref(built.id).remove({ force: true }));
      const seen = await docker.containers.run(built.id, ["cat", "/seen"], { config: { Labels: labels } });
      assert.equal(seen.stdout, `private-${run}\n`);
      // Without credentials the same pull is refused by the registry.
      await assert.rejects(docker.images.build([{ name: "Dockerfile", data: dockerfile }], { builder: "buildkit", labels, noCache: true, pull: true, registryConfig: {} }), DockerBuildError);
    },
  },
  {
    name: "BuildKit session: aborting a build with secrets rejects at once; the engine still answers",
    timeout: 120_000,
    async run(ctx) {
      if (await refusedOnPodman(ctx)) return;
      const { docker, assert, run, labels, image } = ctx;
      const controller = new AbortController();
      const build = docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN --mount=type=secret,id=s echo started-${run}; sleep 60\n` }], {
        builder: "buildkit",
        labels,
        noCache: true,
        secrets: { s: "value" },
        signal: controller.signal,
        onEvent(event) {
          if (event.type === "log" && event.text.includes(`started-${run}`)) controller.abort();
        },
      });
      await assert.rejects(build, DockerAbortError);
      assert.equal(await docker.ping(), "OK");
    },
  },
  {
    name: "BuildKit session: wrong secrets or ssh options, classic builds and Podman are refused before any request",
    async run(ctx) {
      const { assert, docker } = ctx;
      let requests = 0;
      const server = await ctx.listen((conn) => conn.onData(() => { requests++; conn.destroy(); }));
      const dead = ctx.connect({ socketPath: server.socketPath, version: "1.41" });
      try {
        const context = [{ name: "Dockerfile", data: "FROM scratch\n" }];
        const cases: Array<[string, object]> = [
          ["a number as a secret", { secrets: { x: 5 } }],
          ["an unknown secret form", { secrets: { x: { path: "/etc/passwd" } } }],
          ["a bad secret id", { secrets: { "a,b": "v" } }],
          ["secrets as a list", { secrets: ["v"] }],
          ["ssh as text", { ssh: "yes" }],
          ["an empty ssh agent path", { ssh: { default: "" } }],
          ["secrets with session: false", { secrets: { x: "v" }, session: false }],
          ["secrets on the classic builder", { secrets: { x: "v" }, builder: "classic" }],
        ];
        for (const [what, options] of cases) {
          const err = await assert.rejects(dead.images.build(context, options), DockerConfigError, what);
          assert.ok(!err.message.includes("/etc/passwd"), `${what}: ${err.message}`);
        }
        assert.equal(requests, 0, "requests that reached the engine");
      } finally {
        await dead.close();
        await server.close();
      }
      if (await docker.isPodman()) {
        const err = await assert.rejects(docker.images.build([{ name: "Dockerfile", data: "FROM scratch\n" }], { secrets: { x: "v" } }), DockerUnsupportedError);
        assert.match(err.message, /Podman/);
      }
    },
  },
];
