// qs: nested parse and stringify.
module.exports = () => {
  const qs = require("qs");
  return {
    parsed: qs.parse("a[b][c]=1&d[]=2&d[]=3&e=%20x&f[0][g]=h"),
    stringified: qs.stringify({ a: { b: [1, 2] }, c: "d e" }),
    brackets: qs.stringify({ a: [1, 2] }, { arrayFormat: "brackets", encode: false }),
    dots: qs.parse("a.b=c", { allowDots: true }),
    depth: qs.parse("a[b][c][d][e][f][g][h]=i"),
  };
};
