// TLS against a second engine started with --tlsverify (scripts/tls-engine.sh): a client with the
// right CA and certificate gets in, through the environment and through a CLI-made context; a
// wrong CA, a missing client certificate, a wrong host name or a plain port fail with a
// DockerConnectionError that says TLS verification failed and why.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Docker, DockerConnectionError } from "berth-docker";
import { startEngineProxy } from "../../adapters/node-proxy.ts";

const STATE = process.env.BERTH_TLS_ENGINE_STATE ?? "/var/lib/berth-tls-engine";
const CLIENT = join(STATE, "client");
const HOST = "tcp://127.0.0.1:2376";
const IMAGE = "berth-test:busybox";

let scratch: string;
const clients: Docker[] = [];
function track(docker: Docker): Docker {
  clients.push(docker);
  return docker;
}

beforeAll(() => {
  // Idempotent and quick when the engine is already up.
  execFileSync("bash", [join(__dirname, "../../scripts/tls-engine.sh"), "--quiet"], { stdio: "inherit" });
  scratch = mkdtempSync(join(tmpdir(), "berth-tls-"));
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  rmSync(scratch, { recursive: true, force: true });
});

/** A DOCKER_CERT_PATH-style directory from chosen files. */
function certDir(name: string, files: { ca?: string; cert?: string; key?: string }): string {
  const dir = join(scratch, name);
  execFileSync("mkdir", ["-p", dir]);
  for (const [target, source] of Object.entries(files)) if (source) copyFileSync(source, join(dir, `${target}.pem`));
  return dir;
}

async function connectionError(docker: Docker): Promise<DockerConnectionError> {
  const err = await docker.version().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DockerConnectionError);
  return err as DockerConnectionError;
}

describe("TLS engine", () => {
  it("a client with the CA and a client certificate connects (DOCKER_TLS_VERIFY + DOCKER_CERT_PATH)", async () => {
    const docker = track(Docker.fromEnv({ env: { DOCKER_HOST: HOST, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: CLIENT } }));
    expect(docker.address).toBe("https://127.0.0.1:2376");
    expect(await docker.ping()).toBe("OK");
    const version = await docker.version();
    expect(version.ApiVersion).toMatch(/^\d+\.\d+$/);
    // Several requests in a row share the pooled TLS connection.
    const infos = await Promise.all([docker.info(), docker.info(), docker.info()]);
    expect(infos.every((i) => typeof i.ID === "string")).toBe(true);
  });

  it("connects through a context made by the Docker CLI", async () => {
    const config = join(scratch, "docker-config");
    execFileSync("docker", ["context", "create", "berth-tls", "--docker", `host=${HOST},ca=${CLIENT}/ca.pem,cert=${CLIENT}/cert.pem,key=${CLIENT}/key.pem`], {
      env: { ...process.env, DOCKER_CONFIG: config },
      stdio: "ignore",
    });
    const docker = track(Docker.fromContext("berth-tls", { env: { DOCKER_CONFIG: config } }));
    expect(docker.address).toBe("https://127.0.0.1:2376");
    expect(await docker.ping()).toBe("OK");
    // DOCKER_CONTEXT selects it through fromEnv as well.
    const viaEnv = track(Docker.fromEnv({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: "berth-tls" } }));
    expect((await viaEnv.version()).ApiVersion).toBeTruthy();
  });

  it("runs a container and an exec with stdin over the raw TLS connection (hijack)", async () => {
    const docker = track(new Docker({
      host: HOST,
      tls: {
        ca: readFileSync(join(CLIENT, "ca.pem"), "utf8"),
        cert: readFileSync(join(CLIENT, "cert.pem"), "utf8"),
        key: readFileSync(join(CLIENT, "key.pem"), "utf8"),
      },
    }));
    expect(docker.address).toBe("https://127.0.0.1:2376");
    const container = await docker.containers.create({
      Image: IMAGE,
      Cmd: ["sleep", "30"],
      Labels: { "berth.test": "tls" },
      HostConfig: { NetworkMode: "none" },
    });
    try {
      await container.start();
      const result = await container.exec(["sh", "-c", "tr a-z A-Z; echo done >&2"], { stdin: "over tls\n" });
      expect(result).toEqual({ exitCode: 0, stdout: "OVER TLS\n", stderr: "done\n" });
    } finally {
      await container.remove({ force: true });
    }
  });

  it("a CA that did not sign the engine's certificate fails verification", async () => {
    const dir = certDir("wrong-ca", { ca: join(STATE, "wrong-ca/ca.pem"), cert: join(CLIENT, "cert.pem"), key: join(CLIENT, "key.pem") });
    const err = await connectionError(track(Docker.fromEnv({ env: { DOCKER_HOST: HOST, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir } })));
    expect(err.message).toContain("TLS verification failed: the engine's certificate is not signed by a trusted CA");
    expect(err.address).toBe("https://127.0.0.1:2376");
    expect(err.code).toMatch(/CERT|SIGNATURE|ISSUER/);
  });

  it("no CA at all: the system's CAs do not trust the engine either", async () => {
    const dir = certDir("no-ca", { cert: join(CLIENT, "cert.pem"), key: join(CLIENT, "key.pem") });
    const err = await connectionError(track(Docker.fromEnv({ env: { DOCKER_HOST: HOST, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir } })));
    expect(err.message).toContain("TLS verification failed");
  });

  it("no client certificate: the engine refuses, and the error says so", async () => {
    const dir = certDir("ca-only", { ca: join(CLIENT, "ca.pem") });
    const err = await connectionError(track(Docker.fromEnv({ env: { DOCKER_HOST: HOST, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir } })));
    expect(err.message).toContain("TLS verification failed: the engine requires a client certificate and none was given");
  });

  it("a client certificate from another CA: the engine refuses it, and the error says so", async () => {
    const dir = certDir("stranger", { ca: join(CLIENT, "ca.pem"), cert: join(STATE, "wrong-ca/cert.pem"), key: join(STATE, "wrong-ca/key.pem") });
    const err = await connectionError(track(Docker.fromEnv({ env: { DOCKER_HOST: HOST, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir } })));
    expect(err.message).toContain("TLS verification failed: the engine rejected the client certificate");
  });

  it("a certificate that does not name the host fails verification", async () => {
    const docker = track(new Docker({
      host: HOST,
      tls: {
        ca: readFileSync(join(CLIENT, "ca.pem"), "utf8"),
        cert: readFileSync(join(CLIENT, "cert.pem"), "utf8"),
        key: readFileSync(join(CLIENT, "key.pem"), "utf8"),
        servername: "engine.example",
      },
    }));
    const err = await connectionError(docker);
    expect(err.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(err.message).toContain("TLS verification failed: the engine's certificate does not name the host");
  });

  it("TLS to a plain-HTTP port fails clearly instead of falling back", async () => {
    // A plain-HTTP engine port: the main engine through a loopback proxy (it has no TCP port itself).
    const plain = await startEngineProxy();
    try {
      const err = await connectionError(track(Docker.fromEnv({ env: { DOCKER_HOST: `tcp://127.0.0.1:${plain.port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: CLIENT } })));
      expect(err.message).toContain("TLS verification failed: the engine does not speak TLS on this port");
    } finally {
      await plain.close();
    }
  });

  it("the raw connection (attach/exec) maps TLS failures the same way", async () => {
    const dir = certDir("wrong-ca-raw", { ca: join(STATE, "wrong-ca/ca.pem"), cert: join(CLIENT, "cert.pem"), key: join(CLIENT, "key.pem") });
    const docker = track(Docker.fromEnv({ env: { DOCKER_HOST: HOST, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir } }));
    const err = await docker.client.transport.connect!().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as Error).message).toContain("TLS verification failed: the engine's certificate is not signed by a trusted CA");
  });
});
