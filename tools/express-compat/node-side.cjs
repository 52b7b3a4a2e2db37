// The Node side of the suite: every example app and the packages app on
// Node 20 with real express 4.x (from this folder's node_modules), each
// listening on its own loopback port. Prints `PORTS {"name": port, ...}` on a
// line of its own (the apps log to stdout too), then serves until killed. Started by run.mjs with
// NODE_ENV=production (hbf's apps always run as "production") and TZ=UTC.
'use strict';
const path = require('path');
const names = JSON.parse(process.argv[2]);
const ports = {};
let pending = names.length;
for (const name of names) {
  const file = name === 'packages' ? path.join(__dirname, 'packages', 'index.js') : path.join(__dirname, 'examples', name, 'index.js');
  const app = require(file);
  const server = app.listen(0, '127.0.0.1', () => {
    ports[name] = server.address().port;
    if (--pending === 0) process.stdout.write('\nPORTS ' + JSON.stringify(ports) + '\n');
  });
}
