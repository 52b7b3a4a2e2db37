// hbf:node_errors — internal helpers shared by the hbf:node_* shims: Node-style
// errors with a `code` (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ...) and the
// argument validators Node's own modules use. Not a Node module itself.

/** A `Base` error with Node's `code` property and `Name [CODE]: message` toString(). */
export function nodeError(Base, code, message) {
  const err = new Base(message);
  Object.defineProperty(err, "code", { value: code, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(err, "toString", {
    value() {
      return `${this.name} [${code}]: ${this.message}`;
    },
    writable: true,
    enumerable: false,
    configurable: true,
  });
  return err;
}

function quote(s) {
  let q = "'";
  if (s.includes("'")) {
    if (!s.includes('"')) q = '"';
    else if (!s.includes("`") && !s.includes("${")) q = "`";
  }
  let out = "";
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) out += "\\u" + c.toString(16);
    else if (ch === q || ch === "\\") out += "\\" + ch;
    else if (c === 10) out += "\\n";
    else if (c === 9) out += "\\t";
    else if (c === 13) out += "\\r";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c === 11) out += "\\v";
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += "\\x" + c.toString(16).toUpperCase().padStart(2, "0");
    else out += ch;
  }
  return q + out + q;
}

/** inspect() of a primitive, as Node prints it in error messages. */
export function inspectPrimitive(v) {
  if (typeof v === "string") return quote(v);
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol") return v.toString();
  return String(v);
}

/** Node's determineSpecificType(): the "Received ..." part of ERR_INVALID_ARG_TYPE. */
export function describeReceived(value) {
  if (value == null) return "" + value;
  if (typeof value === "function" && value.name) return `function ${value.name}`;
  if (typeof value === "function") return "function ";
  if (typeof value === "object") {
    let name;
    try {
      name = value.constructor?.name;
    } catch {
      name = undefined;
    }
    if (name) return `an instance of ${name}`;
    return Array.isArray(value) ? "[Array]" : Object.getPrototypeOf(value) === null ? "[Object: null prototype] {}" : "[Object]";
  }
  let inspected = inspectPrimitive(value);
  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`;
  return `type ${typeof value} (${inspected})`;
}

function argName(name) {
  if (name.endsWith(" argument")) return name;
  return `"${name}" ${name.includes(".") ? "property" : "argument"}`;
}

/** ERR_INVALID_ARG_TYPE; `expected` is the rendered text after "must be", e.g. "of type string". */
export function invalidArgType(name, expected, actual) {
  const msg = `The ${argName(name)} must be ${expected}. Received ${describeReceived(actual)}`;
  return nodeError(TypeError, "ERR_INVALID_ARG_TYPE", msg);
}

export function invalidArgValue(name, value, reason = "is invalid") {
  let shown;
  if (typeof value === "object" && value !== null) {
    try {
      shown = JSON.stringify(value);
    } catch {
      shown = "[Object]";
    }
  } else {
    shown = inspectPrimitive(value);
  }
  if (shown !== undefined && shown.length > 128) shown = shown.slice(0, 128) + "...";
  const type = name.includes(".") ? "property" : "argument";
  return nodeError(TypeError, "ERR_INVALID_ARG_VALUE", `The ${type} '${name}' ${reason}. Received ${shown}`);
}

function addNumericalSeparator(val) {
  let res = "";
  let i = val.length;
  const start = val[0] === "-" ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${val.slice(i - 3, i)}${res}`;
  return `${val.slice(0, i)}${res}`;
}

export function outOfRange(name, range, input) {
  let received;
  if (Number.isInteger(input) && Math.abs(input) > 2 ** 32) {
    received = addNumericalSeparator(String(input));
  } else if (typeof input === "bigint") {
    received = String(input);
    if (input > 2n ** 32n || input < -(2n ** 32n)) received = addNumericalSeparator(received);
    received += "n";
  } else {
    received = inspectPrimitive(input);
  }
  return nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be ${range}. Received ${received}`);
}

export function validateNumber(value, name, min = undefined, max = undefined) {
  if (typeof value !== "number") throw invalidArgType(name, "of type number", value);
  if ((min != null && value < min) || (max != null && value > max) || ((min != null || max != null) && Number.isNaN(value))) {
    throw outOfRange(name,
      `${min != null ? `>= ${min}` : ""}${min != null && max != null ? " && " : ""}${max != null ? `<= ${max}` : ""}`, value);
  }
}

export function validateInteger(value, name, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== "number") throw invalidArgType(name, "of type number", value);
  if (!Number.isInteger(value)) throw outOfRange(name, "an integer", value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

export function validateString(value, name) {
  if (typeof value !== "string") throw invalidArgType(name, "of type string", value);
}

export function validateFunction(value, name) {
  if (typeof value !== "function") throw invalidArgType(name, "of type function", value);
}

export function validateObject(value, name) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalidArgType(name, "of type object", value);
}

export function validateBoolean(value, name) {
  if (typeof value !== "boolean") throw invalidArgType(name, "of type boolean", value);
}

/** Errors for Node features hbf does not provide. */
export function unsupported(what) {
  return nodeError(Error, "ERR_HBF_UNSUPPORTED", `${what} is not supported in hbf`);
}
