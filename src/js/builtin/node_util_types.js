// hbf:node_util_types — util.types: brand checks that do not depend on
// Symbol.toStringTag, and the uncurried getters hbf:node_util_inspect and
// hbf:node_util_equal use too. Part of hbf:node_util.

// types (brand checks that do not depend on Symbol.toStringTag)

export const objectToString = (v) => Object.prototype.toString.call(v);
const uncurryGetter = (proto, name) => {
  const d = Object.getOwnPropertyDescriptor(proto, name);
  return d && d.get ? (v) => d.get.call(v) : null;
};
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
export const typedArrayTag = uncurryGetter(TypedArrayProto, Symbol.toStringTag);
export const mapSize = uncurryGetter(Map.prototype, "size");
export const setSize = uncurryGetter(Set.prototype, "size");
const arrayBufferByteLength = uncurryGetter(ArrayBuffer.prototype, "byteLength");
const sharedArrayBufferByteLength = typeof SharedArrayBuffer === "function" ? uncurryGetter(SharedArrayBuffer.prototype, "byteLength") : null;
const dataViewByteLength = uncurryGetter(DataView.prototype, "byteLength");
const regexpSource = uncurryGetter(RegExp.prototype, "source");

function brand(fn) {
  return (v) => {
    if (v === null || (typeof v !== "object" && typeof v !== "function")) return false;
    try {
      fn(v);
      return true;
    } catch {
      return false;
    }
  };
}

const AsyncFunctionProto = Object.getPrototypeOf(async function () {});
const GeneratorFunctionProto = Object.getPrototypeOf(function* () {});
const AsyncGeneratorFunctionProto = Object.getPrototypeOf(async function* () {});

export const types = {
  isDate: brand((v) => Date.prototype.getTime.call(v)),
  isRegExp: (v) => v !== RegExp.prototype && brand(regexpSource)(v),
  isMap: brand(mapSize),
  isSet: brand(setSize),
  isWeakMap: brand((v) => WeakMap.prototype.has.call(v, {})),
  isWeakSet: brand((v) => WeakSet.prototype.has.call(v, {})),
  isPromise: (v) => v instanceof Promise || (v !== null && typeof v === "object" && objectToString(v) === "[object Promise]"),
  isTypedArray: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) !== undefined,
  isUint8Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Uint8Array",
  isUint8ClampedArray: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Uint8ClampedArray",
  isUint16Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Uint16Array",
  isUint32Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Uint32Array",
  isInt8Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Int8Array",
  isInt16Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Int16Array",
  isInt32Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Int32Array",
  isFloat32Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Float32Array",
  isFloat64Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "Float64Array",
  isBigInt64Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "BigInt64Array",
  isBigUint64Array: (v) => ArrayBuffer.isView(v) && typedArrayTag(v) === "BigUint64Array",
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: brand(dataViewByteLength),
  isArrayBuffer: brand(arrayBufferByteLength),
  isSharedArrayBuffer: sharedArrayBufferByteLength ? brand(sharedArrayBufferByteLength) : () => false,
  isAnyArrayBuffer: (v) => types.isArrayBuffer(v) || types.isSharedArrayBuffer(v),
  isAsyncFunction: (v) => typeof v === "function" &&
    (Object.getPrototypeOf(v) === AsyncFunctionProto || Object.getPrototypeOf(v) === AsyncGeneratorFunctionProto),
  isGeneratorFunction: (v) => typeof v === "function" &&
    (Object.getPrototypeOf(v) === GeneratorFunctionProto || Object.getPrototypeOf(v) === AsyncGeneratorFunctionProto),
  isGeneratorObject: (v) => v !== null && typeof v === "object" &&
    (objectToString(v) === "[object Generator]" || objectToString(v) === "[object AsyncGenerator]"),
  isNumberObject: brand((v) => Number.prototype.valueOf.call(v)),
  isStringObject: brand((v) => String.prototype.valueOf.call(v)),
  isBooleanObject: brand((v) => Boolean.prototype.valueOf.call(v)),
  isBigIntObject: brand((v) => BigInt.prototype.valueOf.call(v)),
  isSymbolObject: brand((v) => Symbol.prototype.valueOf.call(v)),
  isBoxedPrimitive: (v) => types.isNumberObject(v) || types.isStringObject(v) || types.isBooleanObject(v) ||
    types.isBigIntObject(v) || types.isSymbolObject(v),
  isNativeError: (v) => v !== null && typeof v === "object" && objectToString(v) === "[object Error]",
  isMapIterator: (v) => v !== null && typeof v === "object" && objectToString(v) === "[object Map Iterator]",
  isSetIterator: (v) => v !== null && typeof v === "object" && objectToString(v) === "[object Set Iterator]",
  isArgumentsObject: (v) => v !== null && typeof v === "object" && objectToString(v) === "[object Arguments]",
  isModuleNamespaceObject: (v) => v !== null && typeof v === "object" && Object.getPrototypeOf(v) === null &&
    v[Symbol.toStringTag] === "Module" && !Object.isExtensible(v),
  isProxy: () => false,
  isExternal: () => false,
  isKeyObject: () => false,
  isCryptoKey: () => false,
  isWeakRef: (v) => typeof WeakRef === "function" && v instanceof WeakRef,
};

// require("util/types") and `import types from "node:util/types"`: the same object as util.types.
export default types;
