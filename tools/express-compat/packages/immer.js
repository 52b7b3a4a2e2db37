// immer: produce, patches, freezing.
module.exports = () => {
  const { produce, enablePatches, produceWithPatches, isDraft, freeze } = require("immer");
  enablePatches();
  const base = { todos: [{ id: 1, done: false }], meta: { n: 1 } };
  const next = produce(base, (d) => { d.todos[0].done = true; d.todos.push({ id: 2, done: false }); });
  const [, patches, inverse] = produceWithPatches(base, (d) => { d.meta.n = 2; });
  return { next, same: next.meta === base.meta, frozen: Object.isFrozen(next), patches, inverse, isDraft: isDraft(base), f: Object.isFrozen(freeze({ a: 1 })) };
};
