// joi: validation with defaults, conversion and error details.
module.exports = () => {
  const Joi = require("joi");
  const schema = Joi.object({
    username: Joi.string().alphanum().min(3).max(30).required(),
    birth: Joi.number().integer().min(1900).max(2013),
    role: Joi.string().valid("admin", "user").default("user"),
  });
  const ok = schema.validate({ username: "abc", birth: "1994" });
  const bad = schema.validate({ username: "a!", birth: 1800 }, { abortEarly: false });
  return { ok: ok.value, okError: ok.error ?? null, bad: bad.error.details.map((d) => [d.path, d.type, d.message]) };
};
