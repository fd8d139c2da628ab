/**
 * The state: what FleetFlow created, from which inputs, and what it was about to do when it
 * stopped. `StateStore` keeps it (a local `.fleetflow/` folder by default), refuses stale
 * writers by lineage and serial, and holds the lock while a command mutates it; a store that
 * keeps every version (PostgreSQL, `State/Postgres.ts`) also provides `StateVersions`.
 *
 * - `State/Document.ts`: the state document, its intents, and the functions that change it;
 * - `State/Store.ts`: the `StateStore` service, its lock and its errors;
 * - `State/Versions.ts`: the `StateVersions` service (history, earlier versions);
 * - `State/Local.ts`, `State/Memory.ts`: the stores in a folder and in memory.
 */
export {
  addPending,
  emptyState,
  PendingOperation,
  putResource,
  removePending,
  removeResource,
  resourcesOfStage,
  scaleOf,
  type StateChanges,
  StateFile,
  StateVersion,
  withScale
} from "./State/Document.js"
export { layerLocal, type LocalOptions, makeLocal } from "./State/Local.js"
export { layerMemory, makeMemory } from "./State/Memory.js"
export {
  type CurrentLock,
  checkProject,
  LockInfo,
  LockNotFound,
  type LockOptions,
  StateConflict,
  StateCorrupt,
  type StateError,
  StateIoError,
  StateLocked,
  StateOfAnotherProject,
  StateStore,
  type StateStoreService,
  ofProject
} from "./State/Store.js"
export { StateHistoryEntry, StateVersions, type StateVersionsService } from "./State/Versions.js"
