// hbf:node_stream_promises — Node's `stream/promises`: pipeline(...streams,
// { signal, end }) and finished(stream, options) returning promises
// (hbf:node_stream's implementations).

import { promises } from "hbf:node_stream";

export const { pipeline, finished } = promises;
export default promises;
