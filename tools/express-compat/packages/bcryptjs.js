// bcryptjs: hash with a fixed salt, compare.
module.exports = () => {
  const bcrypt = require("bcryptjs");
  const salt = "$2a$04$abcdefghijklmnopqrstuu";
  const hash = bcrypt.hashSync("correct horse", salt);
  return { hash, ok: bcrypt.compareSync("correct horse", hash), bad: bcrypt.compareSync("wrong", hash), rounds: bcrypt.getRounds(hash) };
};
