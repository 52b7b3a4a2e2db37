// cookie: parse and serialize.
module.exports = () => {
  const cookie = require("cookie");
  return {
    parsed: cookie.parse("a=1; b=hello%20world; c=\"quoted\"; a=2"),
    serialized: cookie.serialize("sid", "a b;c", { httpOnly: true, maxAge: 3600, path: "/", sameSite: "lax", secure: true,
      expires: new Date(Date.UTC(2030, 0, 1)) }),
  };
};
