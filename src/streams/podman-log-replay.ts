// Podman 4 replays a container's logs on attach (`logs: true`) as multiplexed frames whose header
// counts each line without its newline, then writes the newline after the frame. Read strictly,
// the stream breaks at the first line: the newline sits where the next header should start.
//
// This transform sits before the demuxer on that one path: a newline (0x0a) found where a header
// should begin becomes a one-byte frame of the stream the line was on. No valid header starts
// with 0x0a (stream types are 0 to 3), so a well-formed stream passes through unchanged.

const NEWLINE = 0x0a;

export function podmanLogReplayRepair(): TransformStream<Uint8Array, Uint8Array> {
  let remaining = 0;
  let lastType = -1;
  const header = new Uint8Array(8);
  let headerLength = 0;

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const out: Uint8Array[] = [];
      let pos = 0;
      let passFrom = 0; // start of the bytes of this chunk not yet handed on
      const pass = (end: number) => {
        if (end > passFrom) out.push(chunk.subarray(passFrom, end));
      };
      while (pos < chunk.length) {
        if (remaining > 0) {
          const take = Math.min(remaining, chunk.length - pos);
          pos += take;
          remaining -= take;
          continue;
        }
        if (headerLength === 0 && chunk[pos] === NEWLINE && lastType >= 0) {
          pass(pos);
          out.push(Uint8Array.of(lastType, 0, 0, 0, 0, 0, 0, 1, NEWLINE));
          pos++;
          passFrom = pos;
          continue;
        }
        header[headerLength++] = chunk[pos++];
        if (headerLength === 8) {
          headerLength = 0;
          lastType = header[0]!;
          remaining = header[4]! * 0x1000000 + ((header[5]! << 16) | (header[6]! << 8) | header[7]!);
        }
      }
      pass(pos);
      for (const piece of out) controller.enqueue(piece);
    },
  });
}
