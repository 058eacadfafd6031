/** Until package.json's prove:scale runs scripts/prove-scale/index.ts directly. */
import './prove-scale/index.js';
