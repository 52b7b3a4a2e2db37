'use strict'
// Written from expressjs/express 4.x examples/hello-world/index.js.
// Changes: require('express') for require('../../').

var express = require('express');

var app = module.exports = express()

app.get('/', function(req, res){
  res.send('Hello World');
});

/* istanbul ignore next */
if (!module.parent) {
  app.listen(3000);
  console.log('Express started on port 3000');
}
