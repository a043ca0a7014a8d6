// Exec with stdin: write, close stdin (the process sees EOF), read the rest, get the exit code.
//   npx tsx --tsconfig tsconfig.json examples/exec-stdin.ts
import { Docker } from "berth-docker";

const docker = Docker.fromEnv();
const { container } = await docker.containers.run("berth-test:busybox", ["sleep", "60"], { detach: true });

// Collected form: feed data, get { exitCode, stdout, stderr }.
const wc = await container.exec(["wc", "-l"], { stdin: "one\ntwo\nthree\n" });
console.log(`wc -l says ${wc.stdout.trim()} (exit ${wc.exitCode})`);

// Interactive form.
const session = await container.execStream(["sh", "-c", "while read line; do echo \"got: $line\"; done; echo bye"], { stdin: true });
await session.write("hello\n");
await session.write("world\n");
await session.closeStdin();
for await (const { line } of session.output.lines()) console.log(line);
console.log(`exit code ${await session.wait()}`);

await container.remove({ force: true });
await docker.close();
