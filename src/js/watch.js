// A BalanceWatch is its own async iterator, so that `for await (const event of watch)` works:
// wasm-bindgen cannot name a method by a symbol.
export function asyncIterable(watch) {
  const prototype = Object.getPrototypeOf(watch);
  if (!Object.hasOwn(prototype, Symbol.asyncIterator)) prototype[Symbol.asyncIterator] = function () { return this; };
  return watch;
}
