// BuildKit build sessions: the engine asks berth, over the upgraded `POST /session` connection, for
// secrets, ssh agents and registry credentials while it builds. On Podman (buildah) and the classic
// builder there is no session, and asking for one is refused before anything is sent.

import { DockerBuildError } from "../../src/buildkit/build-stream.ts";
import { DockerAbortError, DockerConfigError, DockerUnsupportedError } from "../../src/errors/errors.ts";
import { collectBytes } from "../../src/streams/bytes.ts";
import { requireRegistry } from "./images.ts";
import { refusedOnPodman, type Scenario, type ScenarioContext } from "./context.ts";

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
function sessionRefusedOnPodman(ctx: ScenarioContext, wants: object = { secrets: { x: "v" } }): Promise<boolean> {
  return refusedOnPodman(ctx, () => ctx.docker.images.build([{ name: "Dockerfile", data: "FROM scratch\n" }], { ...wants, labels: ctx.labels }), /Podman/);
}

export const sessionScenarios: Scenario[] = [
  {
    name: "BuildKit session: secrets (text, bytes, file) are readable in RUN and absent from the image and the output",
    timeout: 180_000,
    async run(ctx) {
      if (await sessionRefusedOnPodman(ctx)) return;
      const { docker, assert, run, labels, image, defer, tempDir } = ctx;
      const text = `berth-secret-text-${run}`;
      const bytes = new TextEncoder().encode(`berth-secret-bytes-${run}`);
      const fromFile = `berth-secret-file-${run}`;
      const dir = await tempDir({ "token.txt": fromFile });
      const tag = `berth-scenario-secret:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      const mounts = ["text", "bytes", "file"].map((id) => `--mount=type=secret,id=${id}`).join(" ");
      // The run's id in the step: BuildKit shares a step in flight between builds whose steps are the
      // same, and secrets are not part of a step's identity, so another run's build would answer.
      const dockerfile = `FROM ${image}\nRUN ${mounts} echo ${run} > /run-id && cd /run/secrets && sha256sum text bytes file > /digests && ls /run/secrets > /listed\n`;
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
      if (await sessionRefusedOnPodman(ctx)) return;
      const { docker, assert, run, labels, image } = ctx;
      const value = `berth-secret-other-${run}`;
      const dockerfile = `FROM ${image}\nRUN --mount=type=secret,id=absent,required=true cat /run/secrets/absent\n`;
      const err = await assert.rejects(docker.images.build([{ name: "Dockerfile", data: dockerfile }], { builder: "buildkit", labels, noCache: true, secrets: { other: value } }), DockerBuildError);
      assert.match(err.message, /absent/);
      assert.ok(!err.message.includes(value) && !err.output.includes(value), "no secret value in the error");
    },
  },
  {
    name: "BuildKit session: ssh forwards a real agent: RUN --mount=type=ssh lists its key and has it sign, and the key is in no error, event or layer",
    timeout: 180_000,
    async run(ctx) {
      if (await sessionRefusedOnPodman(ctx, { ssh: { default: "/run/berth-no-agent.sock" } })) return;
      const { docker, assert, run, labels, image, defer } = ctx;
      const comment = `berth-agent-key-${run}`;
      const agent = await ctx.sshAgent(comment);
      // The test image has no ssh client: one from this machine goes into a local image first.
      const client = `berth-scenario-ssh-client:${run}`;
      defer(() => docker.images.ref(client).remove({ force: true }));
      await docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nCOPY rootfs/ /\n` }, ...agent.client], { tag: client, labels });
      // Two agent requests: the identities (ssh-add -l) and a signature (ssh-keygen -Y sign with
      // only the public key at hand), checked against the public key in the same step.
      const steps = [
        `test "$SSH_AUTH_SOCK" = /run/buildkit/ssh_agent.0`,
        "ssh-add -l > /listed",
        `echo signed-${run} > /message`,
        `echo '${agent.publicKey}' > /key.pub`,
        "ssh-keygen -Y sign -f /key.pub -n berth /message",
        "ssh-keygen -Y check-novalidate -n berth -f /key.pub -s /message.sig < /message > /checked 2>&1",
      ].join(" && ");
      const output: string[] = [];
      const built = await docker.images.build([{ name: "Dockerfile", data: `FROM ${client}\nRUN --mount=type=ssh ${steps}\n` }], {
        builder: "buildkit",
        labels,
        noCache: true,
        ssh: { default: agent.socketPath },
        onEvent: (event) => output.push(JSON.stringify(event)),
      });
      defer(() => docker.images.ref(built.id).remove({ force: true }));
      const seen = await docker.containers.run(built.id, ["cat", "/listed", "/checked"], { config: { Labels: labels } });
      assert.equal(seen.stdout.split("\n")[0], `256 ${agent.fingerprint} ${comment} (ED25519)`, "ssh-add -l lists the agent's key");
      assert.ok(seen.stdout.includes(`Good "berth" signature with ED25519 key ${agent.fingerprint}`), `the agent signed: ${seen.stdout}`);
      // An id the build was not given fails the step, naming it.
      const missing = `FROM ${image}\nRUN --mount=type=ssh,id=elsewhere,required=true true\n`;
      const err = await assert.rejects(docker.images.build([{ name: "Dockerfile", data: missing }], { builder: "buildkit", labels, noCache: true, ssh: { default: agent.socketPath } }), DockerBuildError);
      assert.match(err.message, /elsewhere/);
      // The private key: its base64 lines and the bytes they encode.
      const lines = agent.privateKey.split("\n").filter((line) => line !== "" && !line.startsWith("-----"));
      const material = Uint8Array.from(atob(lines.join("")), (c) => c.charCodeAt(0));
      const saved = await collectBytes(await docker.images.save([built.id]));
      assert.ok(!contains(saved, material), "the key's bytes are in no layer of the saved image");
      for (const line of lines) {
        assert.ok(!contains(saved, new TextEncoder().encode(line)), "the key's text is in no layer of the saved image");
        for (const text of [...output, built.output, err.message, err.output, seen.stdout]) assert.ok(!text.includes(line), "the key is in no event, output or error");
      }
    },
  },
  {
    name: "BuildKit session: a private base image is pulled with the build's registry credentials",
    timeout: 180_000,
    async run(ctx) {
      if (await sessionRefusedOnPodman(ctx)) return;
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
      if (await sessionRefusedOnPodman(ctx)) return;
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
