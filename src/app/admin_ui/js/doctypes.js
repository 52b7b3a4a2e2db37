// Document ids: their parts, their API URLs, and what an id's extension
// says (media type, text or binary, Monaco language, checked on save).

export function extOf(id) {
  const base = id.slice(id.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}
export function baseName(id) { return id.slice(id.lastIndexOf('/') + 1); }
export function folderOf(id) { const i = id.lastIndexOf('/'); return i < 0 ? '' : id.slice(0, i); }
// A document id as a URL path: each segment percent-encoded, '/' kept.
export function docPath(id) { return id.split('/').map(encodeURIComponent).join('/'); }
export function docUrl(id) { return '/_api/documents/' + docPath(id); }

// Extension → media type, as the server's own table (content_types.cpp):
// used for new documents and uploads the browser has no type for.
const TYPES = {
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8',
  cjs: 'text/javascript; charset=utf-8', json: 'application/json', map: 'application/json',
  txt: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', markdown: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8', xml: 'application/xml', ejs: 'text/html; charset=utf-8', svg: 'image/svg+xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  avif: 'image/avif', ico: 'image/x-icon', woff: 'font/woff', woff2: 'font/woff2', ttf: 'font/ttf',
  otf: 'font/otf', wasm: 'application/wasm', pdf: 'application/pdf', zip: 'application/zip',
  mp3: 'audio/mpeg', mp4: 'video/mp4', webm: 'video/webm', webmanifest: 'application/manifest+json',
};
const TEXT_EXTS = new Set(['html', 'htm', 'css', 'js', 'mjs', 'cjs', 'json', 'map', 'txt', 'md', 'markdown',
  'csv', 'xml', 'ejs', 'svg', 'ts', 'yaml', 'yml', 'sql', 'webmanifest', 'toml', 'ini', 'env', 'sh', 'jsx', 'tsx']);
export function typeFor(id) { return TYPES[extOf(id)] || (TEXT_EXTS.has(extOf(id)) ? 'text/plain; charset=utf-8' : 'application/octet-stream'); }
export function isTextDoc(contentType, id) {
  const t = (contentType || '').toLowerCase();
  if (t.startsWith('text/')) return true;
  if (/json|javascript|ecmascript|xml|ejs|x-sh|yaml|toml|sql/.test(t)) return true;
  if (!t || t === 'application/octet-stream') return TEXT_EXTS.has(extOf(id)) || extOf(id) === '';
  return false;
}
export function languageFor(id) {
  return {
    js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript', ejs: 'html', html: 'html',
    htm: 'html', css: 'css', json: 'json', map: 'json', webmanifest: 'json', md: 'markdown', markdown: 'markdown',
    ts: 'typescript', tsx: 'typescript', xml: 'xml', svg: 'xml', yaml: 'yaml', yml: 'yaml', sql: 'sql',
  }[extOf(id)] || 'plaintext';
}
// Documents the server compiles when saved (router, modules, templates).
export function isCheckable(id) { return /\.(m?js|cjs|ejs)$/i.test(id); }
