// ramda: currying and composition.
module.exports = () => {
  const R = require("ramda");
  const f = R.pipe(R.filter(R.propEq(true, "active")), R.map(R.prop("name")), R.sortBy(R.identity));
  return {
    names: f([{ name: "b", active: true }, { name: "a", active: true }, { name: "c", active: false }]),
    curried: R.add(2)(3),
    lens: R.over(R.lensPath(["a", "b"]), R.inc, { a: { b: 1 } }),
    grouped: R.groupBy((n) => (n % 2 ? "odd" : "even"), [1, 2, 3, 4]),
    zip: R.zipObj(["a", "b"], [1, 2]),
  };
};
