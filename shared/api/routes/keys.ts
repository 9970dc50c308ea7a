/** The organization's field-encryption keys: rotation of its data key (owners only). */
import * as z from 'zod/mini';
import { id } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';

const orgParams = z.object({ orgId: id });

export const keyRotation = z
  .object({
    keyId: z.string().check(
      z.meta({
        description: 'The new data key version (`k2`, `k3`, …); every value sealed from now on names it',
      }),
    ),
    versions: z.number().check(
      z.int(),
      z.meta({
        description:
          'Data key versions the organization holds, the new one included; older ones keep opening what they sealed',
      }),
    ),
  })
  .check(z.meta({ id: 'KeyRotation' }));

export const keyRoutes = {
  rotateKey: {
    method: 'POST',
    operationId: 'rotateKey',
    path: '/v1/orgs/{orgId}/keys/rotate',
    fn: 'api-orgs',
    tag: 'Organizations',
    summary:
      "Rotate the organization's data key (owner): a new version from KMS seals every value written from now on; values sealed before stay readable and are re-sealed when next written, or by the operators' re-seal sweep. 409 when another rotation landed first",
    auth: 'jwt',
    params: orgParams,
    status: 200,
    response: keyRotation,
    audit: 'org.key.rotate',
    answers: { 409: 'Another rotation landed first (`/key-rotation-conflict`); read the organization again' },
  },
} as const satisfies Record<string, RouteDefinition>;
