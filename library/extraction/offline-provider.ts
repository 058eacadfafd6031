export { extractOffline, type OfflineOptions } from './offline/index.js';
