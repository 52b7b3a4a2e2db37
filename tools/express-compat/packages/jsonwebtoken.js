// jsonwebtoken: HS256/HS512 sign and verify, errors.
module.exports = () => {
  const jwt = require("jsonwebtoken");
  const token = jwt.sign({ sub: "42", role: "admin" }, "shh", { noTimestamp: true });
  const t512 = jwt.sign({ a: 1 }, "k", { algorithm: "HS512", noTimestamp: true, expiresIn: undefined });
  let badSig = null;
  try { jwt.verify(token, "wrong"); } catch (e) { badSig = [e.name, e.message]; }
  let expired = null;
  try { jwt.verify(jwt.sign({ exp: 1000 }, "shh"), "shh"); } catch (e) { expired = [e.name, e.message]; }
  return { token, t512, verified: jwt.verify(token, "shh"), decoded: jwt.decode(token, { complete: true }), badSig, expired };
};
