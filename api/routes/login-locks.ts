/** Sign-in locks, for administrators: which accounts and addresses are throttled, and clearing them (audited). */
import { RouteGroup } from '../route.js';

export const loginLockRoutes = new RouteGroup('signed-in');
