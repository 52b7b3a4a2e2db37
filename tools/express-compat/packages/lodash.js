// lodash: collections, objects, strings, templates, memoize.
module.exports = () => {
  const _ = require("lodash");
  const users = [{ n: "b", a: 30 }, { n: "a", a: 20 }, { n: "c", a: 30 }];
  return {
    sorted: _.sortBy(users, ["a", "n"]).map((u) => u.n),
    grouped: _.groupBy(users, "a"),
    merged: _.merge({ a: { b: 1 } }, { a: { c: 2 } }),
    picked: _.pick({ x: 1, y: 2, z: 3 }, ["x", "z"]),
    strings: [_.camelCase("Foo Bar-baz"), _.kebabCase("fooBarBaz"), _.startCase("hello world")],
    chunk: _.chunk([1, 2, 3, 4, 5], 2),
    template: _.template("Hi <%= name %>!")({ name: "<b>" }),
    escaped: _.escape("<a href='x'>&</a>"),
    debounced: typeof _.debounce(() => 1, 10),
    get: _.get({ a: [{ b: { c: 3 } }] }, "a[0].b.c"),
  };
};
