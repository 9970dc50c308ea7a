/**
 * Jest setup file of the projects that run against the emulators: the local IAM check, with the
 * policies the global setup synthesized, on every client the test file creates. Calls a test makes
 * itself (seeding, reading raw tables, calling a use case directly) run as no function and pass,
 * as a use case is not a function: its permissions are those of whichever function calls it.
 * Calls made through a function (callRoute, the local stack's gateway, poller and scheduler) run
 * as that function and are checked against its role.
 */
import { enableLocalIam, LOCAL_IAM_ENV, readFunctionPolicies } from '../../infra/local/iam/local-iam.ts';

const policiesFile = process.env[LOCAL_IAM_ENV.policies];
if (policiesFile !== undefined) enableLocalIam(readFunctionPolicies(policiesFile));
