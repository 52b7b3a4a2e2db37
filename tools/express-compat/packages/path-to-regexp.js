// path-to-regexp (8.x): match, compile, parse errors.
module.exports = () => {
  const { match, compile, pathToRegexp } = require("path-to-regexp");
  let bad = null;
  try { pathToRegexp("/:"); } catch (e) { bad = e.name; }
  return {
    match: match("/users/:id{/:op}")("/users/12/edit"),
    nomatch: match("/a/:b")("/x/y"),
    wildcard: match("/files/*path")("/files/a/b.txt"),
    compiled: compile("/u/:id")({ id: "a b" }),
    source: pathToRegexp("/x/:y").regexp.source,
    bad,
  };
};
