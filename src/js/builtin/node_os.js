// hbf:node_os — Node's `os`, describing the sandbox rather than the host:
// no CPUs, memory figures or network interfaces are exposed.

import native from "hbf:native";
import process from "hbf:node_process";

function host() {
  try {
    return native.hostInfo();
  } catch {
    return { version: "unknown", platform: "linux", arch: "x64" };
  }
}

export const EOL = "\n";
export const devNull = "/dev/null";
export const platform = () => host().platform;
export const arch = () => host().arch;
export const machine = () => (host().arch === "arm64" ? "aarch64" : host().arch === "x64" ? "x86_64" : host().arch);
export const type = () => "Linux";
export const release = () => `hbf-${host().version}`;
export const version = () => `hbf ${host().version}`;
export const hostname = () => "hbf";
export const homedir = () => "/";
export const tmpdir = () => "/tmp";
export const endianness = () => "LE";
export const cpus = () => [];
export const availableParallelism = () => 1;
export const totalmem = () => 0;
export const freemem = () => 0;
export const loadavg = () => [0, 0, 0];
export const uptime = () => process.uptime();
export const networkInterfaces = () => ({});
export const userInfo = (options) => {
  const info = { uid: -1, gid: -1, username: "hbf", homedir: "/", shell: null };
  return options?.encoding === "buffer" && globalThis.Buffer
    ? { ...info, username: globalThis.Buffer.from(info.username), homedir: globalThis.Buffer.from(info.homedir) }
    : info;
};
export const getPriority = () => 0;
export function setPriority() {
  const err = new Error("os.setPriority() is not supported in hbf");
  err.code = "ERR_HBF_UNSUPPORTED";
  throw err;
}
export const constants = Object.freeze({
  signals: Object.freeze({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }),
  errno: Object.freeze({ ENOENT: 2, EBADF: 9, EACCES: 13, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EROFS: 30 }),
  priority: Object.freeze({ PRIORITY_LOW: 19, PRIORITY_BELOW_NORMAL: 10, PRIORITY_NORMAL: 0, PRIORITY_ABOVE_NORMAL: -7,
    PRIORITY_HIGH: -14, PRIORITY_HIGHEST: -20 }),
  dlopen: Object.freeze({}),
});

export default {
  EOL, devNull, platform, arch, machine, type, release, version, hostname, homedir, tmpdir, endianness, cpus,
  availableParallelism, totalmem, freemem, loadavg, uptime, networkInterfaces, userInfo, getPriority, setPriority, constants,
};
