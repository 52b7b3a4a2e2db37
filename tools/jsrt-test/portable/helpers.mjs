// Helpers shared by the portable tests.
import { dispatch } from "hbf:http";
import { TextEncoder, TextDecoder } from "hbf:web_codec";

const enc = new TextEncoder();
const dec = new TextDecoder();

export const utf8 = (s) => enc.encode(s);
export const fromUtf8 = (b) => dec.decode(b);

/** The `raw` request object C++ would pass to dispatch(). */
export function raw({ method = "GET", url = "/", headers = [], body = undefined, ...rest } = {}) {
  const q = url.indexOf("?");
  return {
    method,
    url,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? "" : url.slice(q + 1),
    headers: [["host", "abc12345.localhost"], ...headers],
    body: body === undefined ? new Uint8Array(0) : typeof body === "string" ? utf8(body) : body,
    ip: "127.0.0.1",
    protocol: "http",
    hostname: "abc12345.localhost",
    user: null,
    henv: "abc12345",
    ...rest,
  };
}

export const call = (router, opts = {}) => dispatch(router, raw(opts));

/** All values of a response header (case-insensitive name). */
export const headerValues = (result, name) =>
  (result.headers || []).filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
export const header = (result, name) => headerValues(result, name)[0];

export const text = (result) => (typeof result.body === "string" ? result.body : result.body ? fromUtf8(result.body) : "");
export const json = (result) => JSON.parse(text(result));
