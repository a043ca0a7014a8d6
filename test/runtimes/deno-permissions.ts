// Deno without the permissions berth needs: each refusal is a DockerConnectionError or
// DockerConfigError naming the flag to add, never Deno's raw NotCapable. Run from deno.test.ts,
// each case under narrowed permissions (Deno.test's `permissions`, the same checks as running
// the binary without those flags).
import { Docker, DockerConfigError, DockerConnectionError } from "../../adapters/deno.ts";
import { assert } from "../scenarios/assert.ts";

export interface PermissionCase {
  name: string;
  /** What the case runs with; everything else the runner was given is dropped. */
  permissions: { net?: boolean; read?: boolean; write?: boolean; env?: boolean };
  fn(): Promise<void>;
}

const SOCKET = "/tmp/berth-permission-test.sock"; // never reached: Deno refuses before connecting

export const permissionCases: PermissionCase[] = [
  {
    name: "Deno without --allow-write: a unix socket request and attach name the flags",
    permissions: { net: true, read: true, env: true, write: false },
    async fn() {
      const docker = new Docker({ socketPath: SOCKET }); // making one asks for no permission
      try {
        const err = await assert.rejects(docker.ping(), DockerConnectionError);
        assert.equal(err.code, "NotCapable");
        assert.match(err.message, new RegExp(`run deno with .*--allow-write=${SOCKET}`));
        assert.match(err.message, /unix socket needs read and write permission/);
        const raw = await assert.rejects(docker.containers.ref("x").attach({ tty: true }), DockerConnectionError);
        assert.match(raw.message, new RegExp(`--allow-write=${SOCKET}`));
      } finally {
        await docker.close();
      }
    },
  },
  {
    name: "Deno without --allow-read or --allow-net for the socket: named too",
    permissions: { net: false, read: false, env: true, write: true },
    async fn() {
      const docker = new Docker({ socketPath: SOCKET });
      try {
        const err = await assert.rejects(docker.ping(), DockerConnectionError);
        assert.match(err.message, new RegExp(`--allow-net=docker,unix:${SOCKET} --allow-read=${SOCKET} --allow-write=${SOCKET}`));
      } finally {
        await docker.close();
      }
    },
  },
  {
    name: "Deno without --allow-net for a TCP engine: the host:port to allow",
    permissions: { net: false, read: true, env: true, write: true },
    async fn() {
      const docker = new Docker({ host: "tcp://127.0.0.1:2" });
      try {
        const err = await assert.rejects(docker.ping(), DockerConnectionError);
        assert.match(err.message, /run deno with --allow-net=127\.0\.0\.1:2$/);
      } finally {
        await docker.close();
      }
    },
  },
  {
    name: "Deno without --allow-env: Docker.fromEnv() throws a DockerConfigError naming it",
    permissions: { net: true, read: true, env: false, write: true },
    async fn() {
      let thrown: unknown;
      try {
        Docker.fromEnv();
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof DockerConfigError, `a DockerConfigError, got ${(thrown as Error)?.name}: ${(thrown as Error)?.message}`);
      assert.match((thrown as Error).message, /run deno with --allow-env/);
    },
  },
  {
    name: "Deno without --allow-read: Docker.fromEnv() names the config directory to allow",
    permissions: { net: true, read: false, env: true, write: true },
    async fn() {
      let thrown: unknown;
      try {
        Docker.fromEnv({ env: { HOME: "/berth-no-home" } });
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof DockerConfigError, `a DockerConfigError, got ${(thrown as Error)?.name}: ${(thrown as Error)?.message}`);
      assert.match((thrown as Error).message, /run deno with --allow-read=\/berth-no-home\/\.docker/);
    },
  },
];
