/** aedes-persistence ships types for its in-memory class but maps none to the file's own path. */
declare module 'aedes-persistence/asyncPersistence.js' {
  import MemoryPersistence = require('aedes-persistence/types/asyncPersistence');
  export = MemoryPersistence;
}
