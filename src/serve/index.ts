/**
 * src/serve: the local web app of `edge-digits serve`. A page (client/, bundled by esbuild at start) sends
 * camera, drawing-pad or image-file frames over a WebSocket; the host runs them through the same preprocessing,
 * stabilizer and board client as `edge-digits run` and answers each tab on its own, sharing the board fairly.
 * Message format: protocol.ts, docs/serve-protocol.md.
 */
export { startServer, ListenError, type ServeOptions, type ServeServer } from './server.js';
export {
  openServeEngine, openBoardEngine, openSimEngine, EngineUnavailableError,
  type ServeEngine, type EngineAnswer, type EngineChoice, type BoardEngineOptions,
} from './engine.js';
export { FairScheduler, SchedulerClosedError } from './fair-scheduler.js';
export { Session, softmax, type SessionOptions, type SessionCounters } from './session.js';
export * from './protocol.js';
