// validator: string validators and sanitizers.
module.exports = () => {
  const v = require("validator");
  return {
    email: [v.isEmail("a@b.co"), v.isEmail("a@b")],
    url: [v.isURL("https://example.com/x?y=1"), v.isURL("ht!tp://x")],
    uuid: v.isUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
    ip: [v.isIP("192.168.0.1"), v.isIP("::1", 6), v.isIP("300.1.1.1")],
    escape: v.escape("<a href='x'>&</a>"),
    normalize: v.normalizeEmail("Foo.Bar+tag@GMAIL.com"),
    numeric: [v.isInt("42"), v.isFloat("4.2e3"), v.toInt("12px")],
    credit: v.isCreditCard("4111111111111111"),
  };
};
