// uuid: name-based (v3 md5, v5 sha1) ids, v4/v7 shape, parse/stringify, validate.
module.exports = () => {
  const uuid = require("uuid");
  const v4 = uuid.v4();
  return {
    v5: uuid.v5("hello.example.com", uuid.v5.DNS),
    v3: uuid.v3("https://example.com/a", uuid.v3.URL),
    v4: uuid.validate(v4) && uuid.version(v4),
    v7: uuid.version(uuid.v7()),
    parsed: Array.from(uuid.parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")),
    stringified: uuid.stringify(uuid.parse("6ba7b811-9dad-11d1-80b4-00c04fd430c8")),
    invalid: uuid.validate("not-a-uuid"),
    nil: uuid.NIL,
  };
};
