// hbf:template_escape — ejs's utils.escapeXML, for hbf:templates' <%= %>.

import native from "hbf:native";

const escapeHtml = native.escapeHtml;

const ENCODE_HTML_RULES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
const MATCH_HTML = /[&<>'"]/g;
const encodeChar = (c) => ENCODE_HTML_RULES[c];

/** Escapes & < > " ' as &amp; &lt; &gt; &#34; &#39; (ejs's escapeXML); null and undefined give "". */
export function escapeXML(markup) {
  if (markup == undefined) return "";
  const s = typeof markup === "string" ? markup : String(markup);
  // In C (QuickJS would interpret a character loop, and most values have
  // nothing to escape); a string with characters past ASCII and something to
  // escape comes back undefined, and is escaped here.
  return escapeHtml(s) ?? s.replace(MATCH_HTML, encodeChar);
}
