// yup: schemas, casting, async validation errors.
module.exports = async () => {
  const yup = require("yup");
  const schema = yup.object({ name: yup.string().required(), age: yup.number().positive().integer().required(), website: yup.string().url().nullable() });
  const cast = schema.cast({ name: "jimmy", age: "24", website: null });
  let errors = null;
  try { await schema.validate({ age: -1, website: "nope" }, { abortEarly: false }); } catch (e) { errors = [e.name, e.errors]; }
  return { cast, valid: await schema.isValid(cast), errors };
};
