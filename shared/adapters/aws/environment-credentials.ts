/**
 * The credential provider of the deployed bundles. infra/bundling.ts resolves the SDK's default
 * chain (`@aws-sdk/credential-provider-node`) to this module: Lambda hands a function its role's
 * credentials through the environment only, so the rest of the chain (shared files, SSO, web
 * identity, IMDS, the nested STS/SSO clients) is about 90 KB of every bundle that init would
 * compile for nothing. Outside a bundle (`npm start`, the tests) the SDK keeps its whole chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same name and call shape as the chain it stands in for: the clients call `defaultProvider(init)`. */
export const defaultProvider = fromEnv;
