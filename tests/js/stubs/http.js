// Stand-in for hbf:http in the engine tests: the tenant's default export gets
// the raw request and the native module, and returns the dispatch result.
import native from "hbf:native";
export async function dispatch(router, raw) {
  return await router(raw, native);
}
// The router's reach (hbf:http's routeReach): what the router function says
// in its `reach` property ([[text, caseSensitive, exact], ...]), null if nothing.
export function routeReach(router) {
  return router.reach ?? null;
}
