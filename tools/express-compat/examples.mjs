// The scripted requests each example gets, the same on Node and on hbf, in
// order and with one cookie jar per example and server. `deps` are the npm
// packages the example requires besides express (installed into its henv
// with what they depend on); `randomCookies` names cookies whose value is
// random (a session id), compared by name and attributes only.
//
// A request is "METHOD /path" or { method, path, headers, form, body }.
const html = { accept: "text/html" };
const json = { accept: "application/json" };
const text = { accept: "text/plain" };

export const examples = {
  "hello-world": {
    requests: ["GET /", "HEAD /", "GET /missing", "POST /",
      { method: "GET", path: "/", headers: { "if-none-match": 'W/"b-Ck1VqNd45QIvq3AZd8XYQLvEhtA"' } }],
  },
  "auth": {
    deps: ["express-session", "pbkdf2-password"],
    randomCookies: ["connect.sid"],
    requests: [
      "GET /",
      "GET /restricted",
      "GET /login",
      { method: "POST", path: "/login", form: "username=tj&password=nope" },
      "GET /login",
      { method: "POST", path: "/login", form: "username=tj&password=foobar" },
      "GET /restricted",
      "GET /login",
      "GET /logout",
      "GET /restricted",
    ],
  },
  "content-negotiation": {
    requests: [
      { method: "GET", path: "/", headers: html },
      { method: "GET", path: "/", headers: text },
      { method: "GET", path: "/", headers: json },
      { method: "GET", path: "/", headers: { accept: "image/png" } },
      "GET /",
      { method: "GET", path: "/users", headers: html },
      { method: "GET", path: "/users", headers: text },
      { method: "GET", path: "/users", headers: json },
      { method: "GET", path: "/users", headers: { accept: "text/plain;q=0.5, application/json;q=0.9" } },
    ],
  },
  "cookie-sessions": {
    deps: ["cookie-session"],
    requests: ["GET /", "GET /", "GET /"],
  },
  "cookies": {
    deps: ["morgan", "cookie-parser"],
    requests: [
      "GET /",
      { method: "POST", path: "/", form: "remember=1" },
      "GET /",
      { method: "GET", path: "/forget", headers: { referer: "/" } },
      "GET /",
      { method: "POST", path: "/", form: "" },
    ],
  },
  "downloads": {
    requests: [
      "GET /",
      "GET /files/amazing.txt",
      "GET /files/notes/groceries.txt",
      "GET /files/CCTV%E5%A4%A7%E8%B5%9B%E4%B8%8A%E6%B5%B7%E5%88%86%E8%B5%9B%E5%8C%BA.txt",
      "GET /files/missing.txt",
      { method: "GET", path: "/files/amazing.txt", headers: { range: "bytes=0-5" } },
      "HEAD /files/notes/groceries.txt",
      "GET /files/..%2findex.js",
    ],
  },
  "ejs": {
    deps: ["ejs"],
    requests: ["GET /", "GET /stylesheets/style.css", "GET /users.html"],
  },
  "error": {
    deps: ["morgan"],
    requests: ["GET /", "GET /next", "GET /missing"],
  },
  "error-pages": {
    deps: ["morgan"],
    requests: [
      "GET /",
      { method: "GET", path: "/404", headers: html },
      { method: "GET", path: "/404", headers: json },
      { method: "GET", path: "/404", headers: text },
      "GET /403",
      "GET /500",
      { method: "GET", path: "/nothing/here?x=1", headers: html },
      { method: "POST", path: "/404", headers: json, body: "" },
    ],
  },
  "markdown": {
    deps: ["marked", "escape-html"],
    requests: ["GET /", "GET /fail"],
  },
  "multi-router": {
    requests: ["GET /", "GET /api/v1", "GET /api/v1/", "GET /api/v1/users", "GET /api/v2/users", "GET /api/v3/users"],
  },
  "params": {
    deps: ["http-errors"],
    requests: ["GET /", "GET /user/0", "GET /user/4", "GET /user/9", "GET /users/0-2", "GET /users/1-3", "GET /users/foo-bar"],
  },
  "route-map": {
    deps: ["escape-html"],
    requests: ["GET /users", "DELETE /users", "GET /users/12", "GET /users/12/pets", "DELETE /users/12/pets/3", "GET /users/12/pets/3"],
  },
  "route-middleware": {
    requests: ["GET /", "GET /user/0", "GET /user/0/edit", "GET /user/1", "GET /user/1/edit", "DELETE /user/0", "GET /user/7"],
  },
  "route-separation": {
    deps: ["morgan", "cookie-parser", "method-override"],
    requests: [
      "GET /",
      "GET /users",
      "GET /user/0",
      "GET /user/1/view",
      "GET /user/1/edit",
      { method: "POST", path: "/user/1/edit?_method=put", headers: { referer: "/user/1" }, form: "user%5Bname%5D=Tobias&user%5Bemail%5D=tobias%40example.com" },
      "GET /user/1",
      "GET /user/5",
      "GET /posts",
      "GET /style.css",
    ],
  },
  "session": {
    deps: ["express-session"],
    randomCookies: ["connect.sid"],
    requests: ["GET /", "GET /", "GET /"],
  },
  "static-files": {
    deps: ["morgan"],
    requests: [
      "GET /hello.txt",
      "GET /js/app.js",
      "GET /style.css",
      "GET /css/style.css",
      "GET /static/js/app.js",
      "HEAD /hello.txt",
      "GET /js",
      "GET /missing.txt",
      { method: "GET", path: "/hello.txt", headers: { range: "bytes=1-" } },
      { method: "GET", path: "/hello.txt", headers: { range: "bytes=9-" } },
      { method: "GET", path: "/hello.txt", headers: { "if-modified-since": "Fri, 01 Jan 2100 00:00:00 GMT" } },
      "GET /static/..%2f..%2findex.js",
    ],
  },
  "web-service": {
    requests: [
      "GET /api/users",
      "GET /api/users?api-key=nope",
      "GET /api/users?api-key=foo",
      "GET /api/repos?api-key=bar",
      "GET /api/user/tobi/repos?api-key=baz",
      "GET /api/user/nobody/repos?api-key=baz",
      "GET /elsewhere",
    ],
  },
};
