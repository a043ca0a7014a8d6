// Runs inside Chromium on a page the gateway serves (same origin, its cookie): exec with stdin
// over the gateway's WebSocket exec, with and without a TTY, resize, and the errors.
import { Docker, type DockerError, type Exec } from "../../adapters/browser.ts";

declare global {
  interface Window {
    berthGateway: typeof scenarios;
  }
}

const decoder = new TextDecoder();
let prepared: Exec | undefined;

const scenarios = {
  /** A shell with a TTY: resize, then `stty size` and arithmetic typed into stdin. */
  async tty(id: string): Promise<{ output: string; exitCode: number }> {
    const docker = new Docker({ url: location.origin });
    const exec = await docker.containers.ref(id).createExec(["sh"], { tty: true, stdin: true });
    const session = await exec.start({ stdin: true });
    await session.resize({ h: 31, w: 107 });
    let output = "";
    const reading = (async () => {
      for await (const frame of session) output += decoder.decode(frame.data);
    })();
    await session.write("stty size; echo answer=$((6*7))\n");
    await session.write("exit 3\n");
    await reading;
    return { output, exitCode: await exec.wait() };
  },
  /** `cat` without a TTY: stdin closed by a half-close, output and stderr demultiplexed. */
  async pipe(id: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const docker = new Docker({ url: location.origin });
    const exec = await docker.containers.ref(id).createExec(["sh", "-c", "cat; echo done >&2"], { stdin: true });
    const session = await exec.start({ stdin: true });
    const collected = session.output.collect();
    await session.write("hello ");
    await session.write(new Uint8Array([0x77, 0x6f, 0x72, 0x6c, 0x64]));
    await session.closeStdin();
    const { stdout, stderr } = await collected;
    return { stdout, stderr, exitCode: await exec.wait() };
  },
  /** Creates an exec, to start later (after the test paused its container). */
  async prepare(id: string): Promise<void> {
    const docker = new Docker({ url: location.origin });
    prepared = await docker.containers.ref(id).createExec(["true"], { stdin: true });
  },
  /** What starting the prepared exec reports when the engine refuses it (a paused container). */
  async refused(): Promise<string> {
    try {
      const session = await prepared!.start({ stdin: true });
      await session.output.collect();
      return "no error";
    } catch (err) {
      return `${(err as DockerError).name}: ${(err as Error).message}`;
    }
  },
  /** The same exec on a Docker told it does not talk to a gateway. */
  async withoutGateway(id: string): Promise<string> {
    const docker = new Docker({ url: location.origin, gateway: false });
    try {
      const exec = await docker.containers.ref(id).createExec(["true"], { stdin: true });
      await exec.start({ stdin: true });
      return "no error";
    } catch (err) {
      return `${(err as Error).name}: ${(err as Error).message}`;
    }
  },
  /** The engine's WebSocket attach, through the gateway: a line typed into `cat` comes back. */
  async attach(id: string): Promise<string> {
    const docker = new Docker({ url: location.origin });
    const session = await docker.containers.ref(id).attach({ stdin: true, tty: false });
    await session.write("through the gateway\n");
    let output = "";
    for await (const frame of session) {
      output += decoder.decode(frame.data);
      if (output.includes("\n")) break;
    }
    session.close();
    return output;
  },
  /** A mutating request, for the read-only gateway. */
  async post(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(path, { method: "POST" });
    return { status: response.status, body: await response.text() };
  },
  async get(path: string): Promise<number> {
    return (await fetch(path)).status;
  },
};

window.berthGateway = scenarios;
