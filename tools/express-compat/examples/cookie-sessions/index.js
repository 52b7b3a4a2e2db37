'use strict'
// Written from expressjs/express 4.x examples/cookie-sessions/index.js.
// Changes: require('express') for require('../../'); module.exports = app
// (the example has none: the harness needs the app).

var cookieSession = require('cookie-session');
var express = require('express');

var app = module.exports = express();

// add req.session cookie support
app.use(cookieSession({ secret: 'manny is cool' }));

// do something with the session
app.get('/', function (req, res) {
  req.session.count = (req.session.count || 0) + 1
  res.send('viewed ' + req.session.count + ' times\n')
})

/* istanbul ignore next */
if (!module.parent) {
  app.listen(3000);
  console.log('Express started on port 3000');
}
