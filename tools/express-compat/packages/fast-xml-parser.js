// fast-xml-parser: parse with attributes, build back.
module.exports = () => {
  const { XMLParser, XMLBuilder, XMLValidator } = require("fast-xml-parser");
  const xml = '<?xml version="1.0"?><root a="1"><item id="x">one</item><item id="y">two &amp; three</item><empty/></root>';
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml);
  return { parsed, built: new XMLBuilder({ ignoreAttributes: false }).build({ r: { "@_k": "v", c: ["a", "b"] } }), valid: XMLValidator.validate("<a><b></a>") };
};
