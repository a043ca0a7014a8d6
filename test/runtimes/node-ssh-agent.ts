// A real OpenSSH agent for the ssh forwarding scenario, on node:child_process and node:fs (Node, Bun
// and Deno all implement them; Deno runs with --allow-run for the four programs below). It holds
// one fresh ed25519 key whose file is deleted once the agent has it, so the key exists only in the
// agent's memory. The scenario's image gets an ssh client (ssh-add, ssh-keygen and the libraries
// they load, as ldd lists them) from this machine: the engine cannot pull one from a registry.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SshAgent } from "../scenarios/context.ts";

const CLIENT = ["/usr/bin/ssh-add", "/usr/bin/ssh-keygen"];

function run(file: string, args: string[], env?: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { PATH: "/usr/bin:/bin", ...env } }, (err, stdout, stderr) => {
      // stderr only: ssh-add echoes the key's comment, never its material
      if ((err as { code?: unknown } | null)?.code === "ENOENT") reject(new Error(`the ssh scenario needs OpenSSH's ${file} (apt-get install openssh-client)`));
      else if (err) reject(new Error(`${file} failed: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

export async function nodeSshAgent(comment: string): Promise<SshAgent> {
  const dir = await mkdtemp(join(tmpdir(), "berth-agent-"));
  const socketPath = join(dir, "agent.sock");
  // -D: in the foreground, a child of this process, gone when it is killed.
  const agent = spawn("ssh-agent", ["-D", "-a", socketPath], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin" } });
  const close = async (): Promise<void> => {
    agent.kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let said = "";
      agent.stdout!.on("data", (chunk: Uint8Array) => {
        said += new TextDecoder().decode(chunk);
        if (said.includes("SSH_AUTH_SOCK")) resolve(); // printed once it listens
      });
      agent.once("error", reject);
      agent.once("exit", (code) => reject(new Error(`ssh-agent exited (${code})`)));
    });
    const key = join(dir, "key");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key]);
    await run("ssh-add", ["-q", key], { SSH_AUTH_SOCK: socketPath });
    const privateKey = await readFile(key, "utf8");
    await rm(key);
    const publicKey = (await readFile(`${key}.pub`, "utf8")).trim();
    // "256 SHA256:… comment (ED25519)"
    const fingerprint = (await run("ssh-keygen", ["-l", "-f", `${key}.pub`])).split(" ")[1]!;
    return { socketPath, publicKey, fingerprint, privateKey, client: await clientFiles(), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** ssh-add and ssh-keygen with their libraries, as build context entries under rootfs/. */
async function clientFiles(): Promise<Array<{ name: string; data: Uint8Array; mode: number }>> {
  const paths = new Set(CLIENT);
  for (const program of CLIENT) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"
    for (const match of (await run("ldd", [program])).matchAll(/(\/\S+) \(0x/g)) paths.add(match[1]!);
  }
  const files = [];
  // Under the name the program asks for, with the content of the file a symlink there points to.
  for (const path of paths) files.push({ name: `rootfs${path}`, data: new Uint8Array(await readFile(await realpath(path))), mode: 0o755 });
  // ssh-keygen looks the user up; the test image has no /etc/passwd.
  files.push({ name: "rootfs/etc/passwd", data: new TextEncoder().encode("root:x:0:0:root:/root:/bin/sh\n"), mode: 0o644 });
  return files;
}
