/** The audit trail, for administrators: filtered listing of who did what, to what, when and from where. */
import { RouteGroup } from '../route.js';

export const auditRoutes = new RouteGroup('signed-in');
