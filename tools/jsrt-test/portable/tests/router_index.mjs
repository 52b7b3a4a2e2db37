// A long stack's walk index (hbf:router's StackIndex): the walk jumps over
// layers a path cannot reach, and must take exactly the layers, in the order,
// that a walk comparing every layer's regex would.
import { test, assert } from "../harness.mjs";
import { Router, pathToRegExp } from "hbf:router";
import { call, json } from "../helpers.mjs";

// Every handler records its tag and passes on, so a request's trace is the
// whole list of layers that took it, in order: what Express's walk gives.
const tracing = (tag) => (req, res, next) => {
  res.locals.trace.push(tag);
  next();
};
const finish = (req, res) => res.json(res.locals.trace);
const traceOf = async (r, url, method = "GET") => json(await call(r, { method, url }));

// [path, kind] -> the trace a walk over every layer's regex gives.
function expectedTrace(layers, url, method) {
  const path = url.split("?")[0];
  const out = [];
  for (const [pattern, kind, tag] of layers) {
    const re = pathToRegExp(pattern, [], { end: kind !== "use" });
    if (!re.test(path)) continue;
    if (kind === "use" || kind === "all" || kind === method.toLowerCase()) out.push(tag);
  }
  return out;
}

function build(layers) {
  const r = new Router();
  r.use((req, res, next) => {
    res.locals.trace = [];
    next();
  });
  for (const [pattern, kind, tag] of layers) r[kind](pattern, tracing(tag));
  r.use(finish);
  return r;
}

test("an indexed stack takes every layer a full walk would, in order", async () => {
  const layers = [];
  const resources = ["users", "Posts", "tags", "api", "v1"];
  for (const name of resources) {
    layers.push([`/${name}`, "get", `${name}-list`]);
    layers.push([`/${name}/:id`, "get", `${name}-one`]);
    layers.push([`/${name}`, "post", `${name}-make`]);
    layers.push([`/api/${name}/:id?`, "get", `api-${name}`]);
    layers.push([`/api/${name}/:id/edit`, "all", `api-${name}-edit`]);
  }
  layers.push(["/users", "use", "users-mount"]);
  layers.push(["/:any/x", "get", "any-x"]);
  layers.push(["/api", "use", "api-mount"]);
  layers.push(["/users/:id", "get", "users-one-again"]);
  layers.push(["*", "all", "star"]);
  const r = build(layers);
  const urls = ["/users", "/USERS/", "/users/7", "/users/7/x", "/posts/1", "/Posts", "/api", "/api/users",
    "/api/users/3", "/API/Posts/3/edit", "/api/v1/2/edit", "/tags/x/x", "/nothing", "/", "/v1/9?q=1", "/api/x",
    "/api//users", "/users//7", "/api/tags/7/edit/more"];
  // (enough walks that the index is built, and each path more than once:
  // its jumps are kept for the last path asked)
  for (let round = 0; round < 3; round++) {
    for (const url of urls) {
      for (const method of ["GET", "POST"]) {
        assert.deepEqual(await traceOf(r, url, method), expectedTrace(layers, url, method), `${method} ${url}`);
      }
    }
  }
});

test("an indexed stack follows entries reordered, replaced or removed in place", async () => {
  const layers = [];
  for (let i = 0; i < 10; i++) layers.push([`/r${i}`, "get", `r${i}`]);
  const r = build(layers);
  // (made before the index is: a new layer makes the next walk build it again)
  const r2 = new Router();
  r2.get("/r2", tracing("r2-again"));
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 10; i++) assert.deepEqual(await traceOf(r, `/r${i}`), [`r${i}`]);
  }
  // Swapped in place (the same length, no new layer): /r8's layer now
  // where /r1's was, and a second /r2 layer where /r7's was.
  const stack = r.stack;
  const layer8 = stack[9];
  stack[9] = stack[2];
  stack[2] = layer8;
  stack[8] = r2.stack[0];
  assert.deepEqual(await traceOf(r, "/r8"), ["r8"]);
  assert.deepEqual(await traceOf(r, "/r1"), ["r1"]);
  assert.deepEqual(await traceOf(r, "/r2"), ["r2", "r2-again"]);
  assert.deepEqual(await traceOf(r, "/r7"), []);
  // Removed (the stack shorter) and added to.
  stack.splice(2, 1);
  assert.deepEqual(await traceOf(r, "/r8"), []);
  r.get("/r8", tracing("r8-new"));
  stack.push(stack.splice(stack.length - 2, 1)[0]);  // keep the finisher last
  assert.deepEqual(await traceOf(r, "/r8"), ["r8-new"]);
  // A stack replaced whole.
  r.stack = [stack[0], stack[stack.length - 2], stack[stack.length - 1]];
  assert.deepEqual(await traceOf(r, "/r8"), ["r8-new"]);
  assert.deepEqual(await traceOf(r, "/r3"), []);
});

test("a layer given another regexp matches by it, not by its path", async () => {
  const layers = [];
  for (let i = 0; i < 8; i++) layers.push([`/r${i}`, "get", `r${i}`]);
  const r = build(layers);
  for (let round = 0; round < 3; round++) assert.deepEqual(await traceOf(r, "/r5"), ["r5"]);
  // (as apps route versioned paths: Express's paths cannot say \d+)
  r.stack[3].regexp = /^\/v\d+\/r2\/?$/i;
  assert.deepEqual(await traceOf(r, "/v12/r2"), ["r2"]);
  assert.deepEqual(await traceOf(r, "/r2"), []);
  assert.deepEqual(await traceOf(r, "/r5"), ["r5"]);
  // A use() layer's too (its "/" took every path).
  const mounted = new Router();
  mounted.use(tracing("all"));
  for (let i = 0; i < 8; i++) mounted.get(`/m${i}`, tracing(`m${i}`));
  mounted.use(finish);
  const outer = new Router();
  outer.use((req, res, next) => {
    res.locals.trace = [];
    next();
  });
  outer.use(mounted);
  outer.use(finish);
  assert.deepEqual(await traceOf(outer, "/m3"), ["all", "m3"]);
  mounted.stack[0].regexp = /^\/only(?:\/(?=$))?(?=\/|$)/i;
  assert.deepEqual(await traceOf(outer, "/m3"), ["m3"]);
  assert.deepEqual(await traceOf(outer, "/only"), ["all"]);
});

test("a walk over an indexed stack does not look at the layers it jumps over", async () => {
  const layers = [];
  for (let i = 0; i < 12; i++) layers.push([`/r${i}/:id`, "get", `r${i}`]);
  const r = build(layers);
  for (let round = 0; round < 3; round++) assert.deepEqual(await traceOf(r, "/r11/7"), ["r11"]);
  // Each route layer's key made a counted getter (the same value: the
  // stack, its layers and their generation unchanged, so the index stands).
  const reads = new Map();
  for (const layer of r.stack) {
    if (typeof layer.key !== "string") continue;
    const key = layer.key;
    reads.set(key, 0);
    Object.defineProperty(layer, "key", { get: () => (reads.set(key, reads.get(key) + 1), key), configurable: true });
  }
  assert.deepEqual(await traceOf(r, "/r11/7"), ["r11"]);
  // The first keyed layer is compared (its refusal is what asks the index),
  // then the walk lands on /r11/'s: none between is looked at.
  assert.ok(reads.get("/r0/") > 0, "the first refusal");
  for (let i = 1; i < 11; i++) assert.equal(reads.get(`/r${i}/`), 0, `/r${i}/ was looked at`);
  assert.ok(reads.get("/r11/") > 0);
});
