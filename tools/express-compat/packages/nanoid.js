// nanoid (an ES module, loaded with require): custom alphabets and random sources.
module.exports = () => {
  const { nanoid, customAlphabet, customRandom, urlAlphabet } = require("nanoid");
  let seed = 7;
  const fixed = customRandom("abcdef", 12, (size) => new Uint8Array(size).map(() => (seed = (seed * 31 + 11) % 251)));
  return {
    length: nanoid().length,
    sized: nanoid(5).length,
    alphabet: /^[0-9]+$/.test(customAlphabet("0123456789", 8)()),
    fixed: fixed(),
    urlAlphabet,
  };
};
