// fast-deep-equal (and its ES6 variant for Map/Set).
module.exports = () => {
  const equal = require("fast-deep-equal");
  const equal6 = require("fast-deep-equal/es6");
  return [equal({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), equal({ a: 1 }, { a: "1" }), equal6(new Map([[1, 2]]), new Map([[1, 2]])), equal6(new Set([1]), new Set([2])), equal(/a/g, /a/g)];
};
