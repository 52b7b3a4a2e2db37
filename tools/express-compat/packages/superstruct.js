// superstruct: structs, validation results, coercion.
module.exports = () => {
  const s = require("superstruct");
  const User = s.object({ id: s.number(), email: s.string(), tags: s.array(s.string()) });
  const [err] = s.validate({ id: "1", email: "x", tags: [1] }, User);
  const Coerced = s.coerce(s.number(), s.string(), (v) => parseFloat(v));
  return { ok: s.is({ id: 1, email: "a", tags: [] }, User), failures: err.failures().map((f) => [f.path.join("."), f.type, f.message]), coerced: s.create("3.5", Coerced) };
};
