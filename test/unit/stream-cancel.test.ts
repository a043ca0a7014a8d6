// cancel() on the stream objects users iterate (logs, events, stats, progress, sessions) stops a
// `for await` that is reading them, and cancels the source (the response body, whose
// cancellation releases the connection). readable.cancel() alone cannot: the loop holds the lock.
import { describe, expect, it } from "vitest";
import { JsonStream, OutputStream, ProgressStream } from "../../src/index.ts";
import { outputOf } from "../../src/streams/output.ts";
import { Session } from "../../src/streams/live-session.ts";

/** A source that would run for a long time (LIMIT chunks, one per tick), recording its cancellation. */
const LIMIT = 400;
function endless(chunk: (i: number) => string) {
  const state = { sent: 0, cancelled: false, reason: undefined as unknown };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 2));
        if (state.sent === LIMIT) return controller.close();
        controller.enqueue(new TextEncoder().encode(chunk(state.sent++)));
      },
      cancel(reason) {
        state.cancelled = true;
        state.reason = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return { body, state };
}

/** Iterates `iterable`, calling cancel after the 5th item; returns how many items the loop saw. */
async function loopAndCancel(iterable: AsyncIterable<unknown>, cancel: () => Promise<void>): Promise<number> {
  let n = 0;
  let cancelling: Promise<void> | undefined;
  for await (const _ of iterable) {
    if (++n === 5) cancelling = new Promise((r) => setTimeout(r, 10)).then(cancel);
  }
  await cancelling;
  return n;
}

const tty = { get: () => null };

describe("cancel() while a for await reads the stream", () => {
  it("OutputStream (logs): the loop ends and the body is cancelled", async () => {
    const { body, state } = endless((i) => `line ${i}\n`);
    const logs = outputOf({ body, headers: tty }, true);
    const n = await loopAndCancel(logs, () => logs.cancel("stop"));
    expect(n).toBeLessThan(LIMIT);
    expect(state.cancelled).toBe(true);
    expect(state.reason).toBe("stop");
  });

  it("OutputStream.lines(): the loop ends and the body is cancelled", async () => {
    const { body, state } = endless((i) => `line ${i}\n`);
    const logs = outputOf({ body, headers: tty }, true);
    const lines: string[] = [];
    let cancelling: Promise<void> | undefined;
    for await (const { line } of logs.lines()) {
      lines.push(line);
      if (lines.length === 3) cancelling = logs.cancel();
    }
    await cancelling;
    expect(lines.length).toBeLessThan(LIMIT);
    expect(lines.slice(0, 3)).toEqual(["line 0", "line 1", "line 2"]);
    expect(state.cancelled).toBe(true);
  });

  it("JsonStream (events, stats): the loop ends and the body is cancelled", async () => {
    const { body, state } = endless((i) => `{"Action":"tick","n":${i}}\n`);
    const events = new JsonStream<{ n: number }>(body, { errorOnInBandError: false });
    const n = await loopAndCancel(events, () => events.cancel());
    expect(n).toBeLessThan(LIMIT);
    expect(state.cancelled).toBe(true);
  });

  it("ProgressStream (pull, build): the loop ends, done() resolves with what was read", async () => {
    const { body, state } = endless((i) => `{"status":"Downloading","id":"0123456789ab","progressDetail":{"current":${i},"total":1000}}\n`);
    const progress = new ProgressStream(body);
    const n = await loopAndCancel(progress, () => progress.cancel());
    expect(n).toBeLessThan(LIMIT);
    expect(state.cancelled).toBe(true);
    expect(progress.progress.layers[0]!.current).toBe(n - 1);

    const second = endless(() => `{"status":"Waiting"}\n`);
    const other = new ProgressStream(second.body);
    setTimeout(() => void other.cancel(), 30);
    const events = await other.done();
    expect(events.length).toBeLessThan(LIMIT);
    expect(second.state.cancelled).toBe(true);
  });

  it("a Session's output (attach, exec): a loop over the session ends on output.cancel()", async () => {
    const { body, state } = endless((i) => `out ${i}\n`);
    const session = new Session({ readable: body, multiplexed: false, close: () => {} });
    const n = await loopAndCancel(session, () => session.output.cancel());
    expect(n).toBeLessThan(LIMIT);
    expect(state.cancelled).toBe(true);
  });

  it("cancel() before the loop starts: the loop sees nothing", async () => {
    const { body, state } = endless((i) => `x${i}\n`);
    const logs = new OutputStream(body.pipeThrough(new TransformStream<Uint8Array, { stream: "stdout"; data: Uint8Array }>({ transform: (data, c) => c.enqueue({ stream: "stdout", data }) })));
    await logs.cancel();
    let n = 0;
    for await (const _ of logs) n++;
    expect(n).toBe(0);
    expect(state.cancelled).toBe(true);
  });
});
