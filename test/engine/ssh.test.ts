// ssh:// engines through the system ssh and `docker system dial-stdio`, against a private sshd on
// 127.0.0.1:2222 (scripts/sshd.sh) whose remote docker is the local engine. An ssh wrapper records
// each ssh process started, to prove one connection serves many requests.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Docker, DockerConnectionError } from "berth-docker";

const STATE = process.env.BERTH_SSHD_STATE ?? "/var/lib/berth-sshd";
const CONFIG = join(STATE, "ssh_config");
const HOST = "ssh://root@127.0.0.1:2222";
const IMAGE = "berth-test:busybox";

let scratch: string;
let wrapper: string;
let spawnLog: string;
const run = `ssh-${Date.now().toString(36)}`;
const labels = { "berth.test": "1", "berth.test.run": run };
const clients: Docker[] = [];

beforeAll(() => {
  execFileSync("bash", [join(__dirname, "../../scripts/sshd.sh"), "--quiet"], { stdio: "inherit" });
  scratch = mkdtempSync(join(tmpdir(), "berth-ssh-"));
  spawnLog = join(scratch, "spawns");
  writeFileSync(spawnLog, "");
  wrapper = join(scratch, "ssh");
  // exec keeps the pid: the logged pid is the ssh process itself.
  writeFileSync(wrapper, `#!/bin/sh\necho $$ >> "${spawnLog}"\nexec ssh "$@"\n`);
  chmodSync(wrapper, 0o755);
}, 180_000);

afterAll(async () => {
  // The engine behind sshd, where the containers went (not DOCKER_HOST's, which may be another).
  const docker = Docker.fromEnv({ env: { DOCKER_HOST: HOST }, ssh: { configFile: CONFIG } });
  for (const c of await docker.containers.list({ all: true, filters: { label: [`berth.test.run=${run}`] } })) {
    await c.remove({ force: true }).catch(() => {});
  }
  await docker.close();
  await Promise.all(clients.map((c) => c.close()));
  rmSync(scratch, { recursive: true, force: true });
});

const spawned = () => readFileSync(spawnLog, "utf8").split("\n").filter(Boolean).map(Number);

function sshDocker(options: Parameters<typeof Docker.fromEnv>[0] = {}): Docker {
  const docker = Docker.fromEnv({ env: { DOCKER_HOST: HOST }, ssh: { configFile: CONFIG, binary: wrapper }, ...options });
  clients.push(docker);
  return docker;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("ssh:// engine", () => {
  it("answers version, and sequential requests reuse one ssh process", async () => {
    const docker = sshDocker();
    expect(docker.address).toBe("ssh://root@127.0.0.1:2222");
    const before = spawned().length;
    const version = await docker.version();
    expect(version.ApiVersion).toMatch(/^\d+\.\d+$/);
    await docker.ping();
    await docker.info();
    await docker.containers.list({ limit: 1 });
    await docker.images.list();
    await docker.version();
    const pids = spawned().slice(before);
    expect(pids).toHaveLength(1);
    expect(alive(pids[0]!)).toBe(true);
    await docker.close();
    // Closing the client ends its ssh process.
    for (let i = 0; i < 50 && alive(pids[0]!); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pids[0]!)).toBe(false);
  });

  it("runs a container, waits for it and reads its logs", async () => {
    const docker = sshDocker();
    const container = await docker.containers.create({ Image: IMAGE, Cmd: ["sh", "-c", "echo out; echo err >&2; exit 3"], Labels: labels });
    await container.start();
    const { StatusCode } = await container.wait();
    expect(StatusCode).toBe(3);
    const logs = await (await container.logs()).collect();
    expect(logs.stdout).toBe("out\n");
    expect(logs.stderr).toBe("err\n");
  });

  it("streams logs while the container runs (follow)", async () => {
    const docker = sshDocker();
    const container = await docker.containers.create({
      Image: IMAGE,
      Cmd: ["sh", "-c", "for i in 1 2 3; do echo line-$i; sleep 0.2; done"],
      Labels: labels,
    });
    await container.start();
    const seen: string[] = [];
    for await (const frame of await container.logs({ follow: true })) seen.push(new TextDecoder().decode(frame.data));
    expect(seen.join("")).toBe("line-1\nline-2\nline-3\n");
  });

  it("execs with stdin over a raw (hijacked) connection: a second ssh process", async () => {
    const docker = sshDocker();
    const container = await docker.containers.create({ Image: IMAGE, Cmd: ["sleep", "60"], Labels: labels });
    await container.start();
    const before = spawned().length;
    const result = await container.exec(["sh", "-c", "tr a-z A-Z; echo bye >&2"], { stdin: "over ssh\n" });
    expect(result).toEqual({ exitCode: 0, stdout: "OVER SSH\n", stderr: "bye\n" });
    // The exec's hijacked connection is its own ssh process; the pooled one stays for requests.
    expect(spawned().length - before).toBeGreaterThanOrEqual(1);
    await container.remove({ force: true });
  });

  it("hands out a raw duplex (transport.connect) that speaks HTTP to the engine", async () => {
    const docker = sshDocker();
    const duplex = await docker.client.transport.connect!();
    const writer = duplex.writable.getWriter();
    await writer.write(new TextEncoder().encode("GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"));
    await writer.close(); // half-close: the answer still arrives
    const text = await new Response(duplex.readable).text();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text.endsWith("OK")).toBe(true);
    duplex.close();
  });
});

describe("ssh failures reject with ssh's own message and never crash the process", () => {
  it("an unreachable host", async () => {
    const docker = Docker.fromEnv({ env: { DOCKER_HOST: "ssh://root@127.0.0.1:2223" }, ssh: { configFile: CONFIG } });
    clients.push(docker);
    const err = await docker.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as DockerConnectionError).code).toBe("ESSH");
    expect((err as Error).message).toContain("ssh://root@127.0.0.1:2223");
    expect((err as Error).message).toMatch(/port 2223: Connection refused/);
  });

  it("a key the server does not accept", async () => {
    const key = join(scratch, "stranger_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const docker = Docker.fromEnv({
      env: { DOCKER_HOST: HOST },
      ssh: { identityFile: key, args: ["-F", "/dev/null", "-o", `UserKnownHostsFile=${join(STATE, "known_hosts")}`] },
    });
    clients.push(docker);
    const err = await docker.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as Error).message).toContain("Permission denied (publickey)");
  });

  it("an unknown host key is refused, not accepted silently", async () => {
    const docker = Docker.fromEnv({
      env: { DOCKER_HOST: HOST },
      ssh: { identityFile: join(STATE, "id_ed25519"), args: ["-F", "/dev/null", "-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes"] },
    });
    clients.push(docker);
    const err = await docker.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as Error).message).toContain("Host key verification failed");
  });

  it("a missing ssh program", async () => {
    const docker = Docker.fromEnv({ env: { DOCKER_HOST: HOST }, ssh: { binary: join(scratch, "no-such-ssh") } });
    clients.push(docker);
    const err = await docker.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as Error).message).toContain("cannot run");
    expect((err as Error).message).toContain("ENOENT");
  });

  it("a failing raw connection surfaces ssh's message too", async () => {
    const docker = Docker.fromEnv({ env: { DOCKER_HOST: "ssh://root@127.0.0.1:2223" }, ssh: { configFile: CONFIG } });
    clients.push(docker);
    const duplex = await docker.client.transport.connect!();
    const err = await new Response(duplex.readable).text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as Error).message).toMatch(/Connection refused/);
    duplex.close();
  });
});
