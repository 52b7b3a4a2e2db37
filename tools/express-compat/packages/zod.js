// zod: object schemas, coercion, refinements, error issues.
module.exports = () => {
  const { z } = require("zod");
  const User = z.object({ name: z.string().min(2), age: z.coerce.number().int().positive(), email: z.string().email().optional() });
  const bad = User.safeParse({ name: "x", age: "-3", email: "nope" });
  return {
    good: User.parse({ name: "Ann", age: "42" }),
    issues: bad.success ? null : bad.error.issues.map((i) => [i.path.join("."), i.code, i.message]),
    union: z.union([z.string(), z.number()]).safeParse(true).success,
    transform: z.string().transform((s) => s.length).parse("hello"),
  };
};
