// Seeded random templates for the differential run (generated in Node; the
// same list goes to qjs). They mix text full of special characters and line
// endings with every tag type and trimming mode, so that the tokenizer, the
// trimming rules and escaping are compared with ejs beyond the hand-written corpus.
const TEXT = ["a", "b c", " ", "  ", "\t", "\n", "\n", "\r\n", "\r", "<", ">", "%", "&", "\"", "'", "\\", "\\n", "é", "👍🏽", "日本", "-", "_",
  "<%%", "%%>", "<p>", "</p>", "${x}", "`", "e\u0301", "\u2028", "//", "/*"];
const SCRIPT = [" ", " var t = n ", " /* c */ ", " // line comment ", "\n", "\n  var u = 1;\n", " t = 2; ", " if (n) { } "];
const OUTPUT = [" x ", "s", " n * 2 ", " '<' + x ", " null ", " undefined ", " x; ", "\nx\n", " x // c ", " s + '\\n' ", " [n, s] ", "\t'é👍'\t"];
const COMMENT = [" ", " c ", "\n", " a < b & c > d ", "//", " -", " 日本 "];
const OPEN = ["<%", "<%=", "<%-", "<%#", "<%_", "<%=", "<%-"];
const CLOSE = ["%>", "%>", "-%>", "_%>"];

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export function fuzzCases(count, seed = 20250426) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const cases = [];
  for (let k = 0; k < count; k++) {
    let text = "";
    const items = 1 + Math.floor(r() * 14);
    for (let i = 0; i < items; i++) {
      if (r() < 0.45) {
        const n = 1 + Math.floor(r() * 3);
        for (let j = 0; j < n; j++) text += pick(TEXT);
      } else {
        const open = pick(OPEN);
        const body = open === "<%" || open === "<%_" ? pick(SCRIPT) : open === "<%#" ? pick(COMMENT) : pick(OUTPUT);
        text += open + body + pick(CLOSE);
      }
    }
    const options = {};
    const o = r();
    if (o < 0.1) options.rmWhitespace = true;
    else if (o < 0.2) options.delimiter = "?";
    else if (o < 0.22) options.strict = true;
    else if (o < 0.3) options._with = false;
    if (options.delimiter) text = text.replace(/%/g, "?");
    cases.push({ id: `fuzz/${k}.ejs`, text, fuzz: true, meta: { data: { x: "<&>\"'", s: "é👍", n: 5 }, options } });
  }
  return cases;
}
