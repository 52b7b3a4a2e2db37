// hbf:node_stream_consumers — Node's `stream/consumers`: arrayBuffer, blob
// (not available: hbf has no Blob), buffer, json and text of a readable
// stream or (async) iterable, read to its end.

import { Buffer } from "hbf:node_buffer";
import { nodeError } from "hbf:node_errors";

async function chunks(stream) {
  const out = [];
  for await (const chunk of stream) out.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return out;
}

export async function buffer(stream) {
  return Buffer.concat(await chunks(stream));
}

export async function arrayBuffer(stream) {
  const b = await buffer(stream);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

export async function text(stream) {
  // Decoded as a whole, so a character split between chunks stays whole.
  const decoder = new TextDecoder();
  let out = "";
  for await (const chunk of stream) {
    out += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  }
  return out + decoder.decode();
}

export async function json(stream) {
  return JSON.parse(await text(stream));
}

export async function blob() {
  throw nodeError(Error, "ERR_HBF_UNSUPPORTED", "stream/consumers.blob() is not supported in hbf (no Blob)");
}

export default { arrayBuffer, blob, buffer, json, text };
