// he: HTML entities.
module.exports = () => {
  const he = require("he");
  return { enc: he.encode("foo © bar ≠ baz 𝌆 qux <"), named: he.encode("© <", { useNamedReferences: true }), dec: he.decode("&lt;p&gt;&copy;&#x1D306;&amp;nbsp;&nbsp;"), esc: he.escape("<img src='x'>") };
};
