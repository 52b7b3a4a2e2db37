'use strict'
// Written from expressjs/express 4.x examples/session/index.js.
// Changes: require('express') for require('../../'); the session id in
// Set-Cookie is random, so the harness compares the cookie's name and
// attributes, not its value.

// install redis first:
// https://redis.io/

// then:
// $ npm install redis
// $ redis-server

var express = require('express');
var session = require('express-session');

var app = express();

// Populates req.session
app.use(session({
  resave: false, // don't save session if unmodified
  saveUninitialized: false, // don't create session until something stored
  secret: 'keyboard cat'
}));

app.get('/', function(req, res){
  var body = '';
  if (req.session.views) {
    ++req.session.views;
  } else {
    req.session.views = 1;
    body += '<p>First time visiting? view this page in several browsers :)</p>';
  }
  res.send(body + '<p>viewed <strong>' + req.session.views + '</strong> times.</p>');
});

module.exports = app;

/* istanbul ignore next */
if (!module.parent) {
  app.listen(3000);
  console.log('Express started on port 3000');
}
