// deepmerge: objects, arrays, custom array merge.
module.exports = () => {
  const merge = require("deepmerge");
  const a = { x: { y: [1, 2], z: 1 }, d: new Date(0).toISOString() };
  const b = { x: { y: [3], w: 2 }, e: true };
  return { merged: merge(a, b), overwrite: merge(a, b, { arrayMerge: (_d, s) => s }), all: merge.all([{ a: 1 }, { b: 2 }, { a: 3 }]) };
};
