// slugify: transliteration and options.
module.exports = () => {
  const slugify = require("slugify");
  return [slugify("Hello World & Friends!"), slugify("Ünïcödé straße", { lower: true, strict: true }), slugify("a_b c", { replacement: "_" }), slugify("I ♥ Paris €", { locale: "en" })];
};
