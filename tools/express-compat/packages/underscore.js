// underscore: collections and templates.
module.exports = () => {
  const _ = require("underscore");
  return { sorted: _.sortBy([3, 1, 2]), uniq: _.uniq([1, 1, 2]), tpl: _.template("<%- a %> <%= b %>")({ a: "<x>", b: "<y>" }), groups: _.countBy([1, 2, 3, 4], (n) => (n % 2 ? "odd" : "even")), range: _.range(0, 10, 3) };
};
