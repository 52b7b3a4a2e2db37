'use strict'
// The app that runs one package's script per request, the same file on Node
// and on hbf: GET /p/<name> answers what packages/<name>.js returns (as
// JSON), or the error it threw.
var express = require('express');
var app = module.exports = express();

app.get('/p/:name', function (req, res) {
  var name = req.params.name;
  if (!/^[a-z0-9.-]+$/.test(name)) return res.status(400).send('bad name');
  Promise.resolve()
    .then(function () { return require('./' + name + '.js')(); })
    .then(function (out) { res.type('json').send(JSON.stringify({ ok: out }, null, 1)); },
      function (err) { res.type('json').send(JSON.stringify({ error: String(err && err.message || err) }, null, 1)); });
});
