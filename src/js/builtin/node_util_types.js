// hbf:node_util_types — Node's `util/types` (the `types` object of hbf:node_util).

import { types } from "hbf:node_util";

export const {
  isDate, isRegExp, isMap, isSet, isWeakMap, isWeakSet, isPromise, isTypedArray, isUint8Array, isUint8ClampedArray,
  isUint16Array, isUint32Array, isInt8Array, isInt16Array, isInt32Array, isFloat32Array, isFloat64Array,
  isBigInt64Array, isBigUint64Array, isArrayBufferView, isDataView, isArrayBuffer, isSharedArrayBuffer,
  isAnyArrayBuffer, isAsyncFunction, isGeneratorFunction, isGeneratorObject, isNumberObject, isStringObject,
  isBooleanObject, isBigIntObject, isSymbolObject, isBoxedPrimitive, isNativeError, isMapIterator, isSetIterator,
  isArgumentsObject, isModuleNamespaceObject, isProxy, isExternal, isKeyObject, isCryptoKey,
} = types;
export default types;
