// What the side-by-side tests of hbf:express against express@4
// (express_app.test.mjs, express_static.test.mjs) share: a request over
// HTTP to express@4, the same request through hbf:http's dispatch (as the
// server runs it), and their comparison. A request is
// [method, path, headers = {}, body].
import http from "node:http";
import { dispatch } from "hbf:http";

// The `compared` headers of a [name, value] list, by lower-case name (a
// content type lower-cased: charset spellings differ).
export function comparedHeaders(list, compared) {
  const out = {};
  for (const [name, value] of list) {
    const lc = name.toLowerCase();
    if (compared.includes(lc)) (out[lc] ??= []).push(lc === "content-type" ? value.toLowerCase() : value);
  }
  return out;
}

export function expressResponse(port, [method, path, headers = {}, body]) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: { ...headers, connection: "close" }, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const list = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) list.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
        resolve({ status: res.statusCode, headers: list, body: Buffer.concat(chunks) });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// `host`: the Host header sent.
export async function hbfResponse(app, host, [method, path, headers = {}, body]) {
  const q = path.indexOf("?");
  const bodyBytes = body === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(body));
  const hdrs = [["host", host], ...Object.entries(headers)];
  if (body !== undefined) hdrs.push(["content-length", String(bodyBytes.length)]);
  let result = await dispatch(app, {
    method, url: path, path: q === -1 ? path : path.slice(0, q), query: q === -1 ? "" : path.slice(q + 1), headers: hdrs,
    body: bodyBytes, ip: "127.0.0.1", protocol: "http", hostname: "127.0.0.1", user: null, henv: "test",
  });
  // Nothing answered: C++ serves documents, then this page.
  if (!result.handled && result.fallback) result = result.fallback;
  if (result.error) return { status: result.error.status ?? 500, headers: [], body: Buffer.alloc(0), error: result.error };
  const b = result.body == null ? Buffer.alloc(0) : Buffer.from(typeof result.body === "string" ? Buffer.from(result.body) : result.body);
  return { status: result.status, headers: result.headers, body: method === "HEAD" ? Buffer.alloc(0) : b };
}

// Adds to `failures` what differs between express@4's answer `e` and hbf's
// `h` to `spec`: status, body, the `compared` headers.
export function compareResponses(failures, spec, e, h, compared) {
  const label = `${spec[0]} ${spec[1]} ${spec[2] ? JSON.stringify(spec[2]) : ""}`;
  const check = (cond, what) => { if (!cond) failures.push(`${label}: ${what}`); };
  check(e.status === h.status, `status express ${e.status} hbf ${h.status}`);
  check(e.body.equals(h.body), `body express ${JSON.stringify(e.body.toString())} hbf ${JSON.stringify(h.body.toString())}`);
  const en = comparedHeaders(e.headers, compared);
  const hn = comparedHeaders(h.headers, compared);
  check(JSON.stringify(en) === JSON.stringify(hn), `headers express ${JSON.stringify(en)} hbf ${JSON.stringify(hn)}`);
}
