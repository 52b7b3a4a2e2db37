// escape-html.
module.exports = () => {
  const escape = require("escape-html");
  return [escape("<script>alert(\"x\" & 'y')</script>"), escape("plain"), escape(42)];
};
