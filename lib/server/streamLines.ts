/** A text generator as a response body, pulled as the client reads; a thrown line errors the stream (the download breaks off, never ends as if complete). */
export function streamLines(lines: AsyncGenerator<string, unknown>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
}
