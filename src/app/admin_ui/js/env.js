// The admin's environment: what the shell page gives it (<meta
// name="hbf-assets">, the immutable asset prefix; <meta name="hbf-henv">,
// this henv's host name) and HBF's own login and logout paths.

function metaContent(name) {
  const el = document.querySelector(`meta[name="${name}"]`);
  return el ? el.getAttribute('content') || '' : '';
}
export let ASSETS = metaContent('hbf-assets');
if (!ASSETS || ASSETS.includes('{{')) ASSETS = '/_admin/assets/';
if (!ASSETS.endsWith('/')) ASSETS += '/';
export let HENV = metaContent('hbf-henv');
if (!HENV || HENV.includes('{{')) HENV = location.host;
export const MONACO_BASE = new URL(ASSETS + 'monaco/vs', location.href).href;
// HBF's own login and logout: /login and /logout may be the app's routes.
export const LOGIN = '/_hbf/login';
export const LOGOUT = '/_hbf/logout';
