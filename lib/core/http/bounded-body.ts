/**
 * A request body (or a response's: same framing) read to at most `limit` bytes: refused on its declared length before anything is
 * read, and, for a chunked body, as soon as it passes the limit (the rest is never read or
 * buffered). Null when the body is larger than `limit`.
 *
 * A body with a declared length within the limit and no Transfer-Encoding is read in one native
 * call (`arrayBuffer()`), not chunk by chunk: HTTP/1.1 framing makes such a body exactly its
 * Content-Length long (workerd and Node's parser stop reading there; bytes past it are the next
 * request on the connection), so it cannot be larger than the limit. What was read is checked
 * against the declared length all the same, and refused when it differs (a Request built in code
 * with a header that lies). A request that declares a length *and* Transfer-Encoding is framed by
 * the chunks, whatever its Content-Length says (workerd passes both headers on), so it is read
 * chunk by chunk like a body without a length.
 */
export async function readBoundedBody(request: Pick<Request, "headers" | "body" | "arrayBuffer">, limit: number): Promise<Uint8Array | null> {
  const declared = request.headers.get("content-length");
  if (Number(declared ?? "0") > limit) return null;
  if (!request.body) return new Uint8Array();
  if (declared !== null && /^\d+$/.test(declared) && !request.headers.has("transfer-encoding")) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength === Number(declared) && bytes.byteLength <= limit ? bytes : null;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
