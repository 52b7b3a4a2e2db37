// mime: types and extensions.
module.exports = () => {
  const mime = require("mime");
  return {
    types: ["a.html", "b.JSON", "c.tar.gz", "x.webp", "y.unknownext", "README"].map((f) => mime.getType(f)),
    exts: ["text/html", "application/javascript", "image/svg+xml"].map((t) => mime.getExtension(t)),
  };
};
