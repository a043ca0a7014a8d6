// Fails the test (or the file) during which a promise rejection went unhandled.
//
// Vitest already reports an unhandled rejection that happens while a file's tests run, and fails the
// run for it, but only as a run-level error naming "the latest test that might have caused it", with
// every test passed; and one that happens just after the file's last test (a stream erroring a moment
// later, a timer) may be lost when the worker shuts down. Here each rejection fails the test it
// happened in, and the file waits a moment after its last test for late ones.
// test/unit/unhandled-rejections.test.ts proves it on the fixtures in test/fixtures/unhandled.
import { afterAll, afterEach } from "vitest";

const seen: unknown[] = [];
process.on("unhandledRejection", (reason) => {
  seen.push(reason);
});

/** Lets pending timers of a few ms and the rejections they cause come through. */
const grace = (ms: number) => new Promise<void>((resolve) => setTimeout(() => setImmediate(resolve), ms));

function report(where: string): void {
  if (seen.length === 0) return;
  const reasons = seen.splice(0);
  const list = reasons.map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r))).join("; ");
  throw new Error(`${reasons.length} unhandled promise rejection(s) ${where}: ${list}`, { cause: reasons[0] });
}

afterEach(async () => {
  await grace(0);
  report("during this test");
});

afterAll(async () => {
  await grace(50);
  report("after this file's last test");
});
