// ajv: JSON Schema compiled to code, errors.
module.exports = () => {
  const Ajv = require("ajv");
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile({
    type: "object",
    properties: { foo: { type: "integer" }, bar: { type: "string", maxLength: 3 } },
    required: ["foo"],
    additionalProperties: false,
  });
  const good = validate({ foo: 1, bar: "abc" });
  const bad = validate({ bar: "abcd", baz: 1 });
  return { good, bad, errors: validate.errors.map((e) => [e.instancePath, e.keyword, e.message]) };
};
