/** src/files: writing outputs so that an interrupted command never leaves a half-written one (atomic-write.ts). */
export { writeFileAtomic, replaceFolder, replaceFolderSync, restoreInterruptedSwap } from './atomic-write.js';
