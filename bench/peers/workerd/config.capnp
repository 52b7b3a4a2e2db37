# workerd config for the HBF benchmark peer. start.sh copies this file next to
# worker.js, ejs (lib/ejs.js, lib/utils.js, package.json from bench/.peers) and
# the template (as page.ejs), then runs
#   workerd serve config.capnp --socket-addr http=127.0.0.1:PORT --directory-path do-storage=DB.workerd/do
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .benchWorker),
    # Where the Durable Objects' SQLite files live; overridden by --directory-path.
    (name = "do-storage", disk = (path = "do", writable = true)),
  ],
  sockets = [
    # Overridden by --socket-addr.
    (name = "http", address = "127.0.0.1:8787", http = (), service = "main"),
  ],
);

const benchWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "page.ejs", text = embed "page.ejs"),
    # ejs 3.1.10 as published (CommonJS), under the names its require()s expect
    # (workerd resolves require("./utils") to that exact name, no extension added).
    (name = "node_modules/ejs/lib/ejs.js", commonJsModule = embed "ejs.js"),
    (name = "node_modules/ejs/lib/utils", commonJsModule = embed "utils.js"),
    (name = "node_modules/ejs/package.json", json = embed "package.json"),
  ],
  compatibilityDate = "2026-11-17",
  # nodejs_compat (node:fs, node:path for ejs) is the default from 2026-08-04 on.
  bindings = [
    (name = "POSTS", durableObjectNamespace = "Posts"),
  ],
  durableObjectNamespaces = [
    # enableSql: a SQLite-backed Durable Object (ctx.storage.sql), what
    # wrangler's `new_sqlite_classes` migration declares.
    (className = "Posts", uniqueKey = "hbf-bench-posts", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-storage"),
);
