/** Every route of the API. A capability adds its own file here. */
import type { RouteDefinition } from '../route.ts';
import { accountabilityRoutes } from './accountability.ts';
import { auditRoutes } from './audit.ts';
import { downloadRoutes } from './download.ts';
import { extensionRoutes } from './extensions.ts';
import { jobRoutes } from './jobs.ts';
import { keyRoutes } from './keys.ts';
import { openApiRoutes } from './openapi.ts';
import { orchestrationRoutes } from './orchestrations.ts';
import { orgRoutes } from './orgs.ts';
import { portabilityRoutes } from './portability.ts';
import { requestRoutes } from './requests.ts';
import { roleRoutes } from './roles.ts';
import { subjectRoutes } from './subjects.ts';
import { recipientRoutes } from './recipients.ts';

export const ROUTES: readonly RouteDefinition[] = [
  orgRoutes,
  keyRoutes,
  roleRoutes,
  orchestrationRoutes,
  jobRoutes,
  subjectRoutes,
  auditRoutes,
  portabilityRoutes,
  downloadRoutes,
  extensionRoutes,
  accountabilityRoutes,
  recipientRoutes,
  requestRoutes,
  openApiRoutes,
].flatMap((group) => Object.values(group));
