/** Reads a stream to its end or its first error: the items before it and that error (undefined when the stream ended). */
export async function drainStream<T>(stream: AsyncIterable<T>): Promise<{ chunks: T[]; error: any }> {
  const chunks: T[] = [];
  try {
    for await (const c of stream) chunks.push(c);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}
