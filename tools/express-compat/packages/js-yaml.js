// js-yaml: load and dump.
module.exports = () => {
  const yaml = require("js-yaml");
  const doc = yaml.load("a: 1\nb:\n  - x\n  - y: [1, 2]\nc: |\n  multi\n  line\nd: 2024-01-02\ne: ~\n");
  return { doc: JSON.parse(JSON.stringify(doc)), dumped: yaml.dump({ a: [1, { b: "c d" }], e: null, s: "yes" }) };
};
