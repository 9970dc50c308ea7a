/**
 * The origin (scheme, host, port) of the URLs the S3 adapter presigns for the files bucket, derived
 * from configuration alone: the link pages put it into their CSP's `form-action` so the browser may
 * follow the 303 to the file, and deriving it costs no S3 client at cold start (presigning a
 * throwaway URL did). It follows the S3 endpoint rules the SDK applies for the client s3-client.ts
 * creates: the endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, virtual-hosted unless
 * S3_FORCE_PATH_STYLE is set, the bucket is not a valid host label or the endpoint is an IP address
 * (a bucket with dots is still virtual-hosted behind a plain-http endpoint, below); otherwise
 * `<bucket>.s3.<region>.<partition's DNS suffix>`, with the SDK's own partition table and bucket
 * check. The forms it does not derive (FIPS, dual-stack, directory buckets, ARNs, and a dotted
 * bucket behind a plain-http IP endpoint, where the SDK presigns no valid URL) fail the cold start
 * rather than give a CSP that would block the download. Endpoints set only in a shared config file
 * are not read: Lambda has none, and the local stack sets the variables.
 * test/unit/s3-origin.test.ts holds it equal to the origin of URLs the adapter really presigns.
 */
import { isIpAddress, isVirtualHostableS3Bucket, partition } from '@aws-sdk/core/client';
import { ConfigError, env } from '../../config.ts';

const UNDERIVED_SWITCHES = ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT'] as const;
/** S3 Express directory buckets and access point ARNs have endpoints of their own. */
const UNDERIVED_BUCKET = /^arn:|--x-s3$|--xa-s3$/;

const isSet = (name: string): boolean => process.env[name]?.toLowerCase() === 'true';

/** The endpoint the SDK takes from the environment (an empty variable counts as unset, as there). */
function configuredEndpoint(): string | undefined {
  if (isSet('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS')) return undefined;
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

export function s3Origin(bucket: string): string {
  for (const name of UNDERIVED_SWITCHES)
    if (isSet(name))
      throw new ConfigError(
        `${name} is set: the files bucket's origin is derived for standard endpoints only`,
      );
  if (UNDERIVED_BUCKET.test(bucket)) throw new ConfigError('FILES_BUCKET must name a general purpose bucket');
  const endpoint = configuredEndpoint();
  if (endpoint !== undefined) return endpointOrigin(new URL(endpoint), bucket);
  const virtualHosted = !env.s3ForcePathStyle() && isVirtualHostableS3Bucket(bucket);
  const region = env.region();
  const host = `s3.${region}.${partition(region).dnsSuffix}`;
  return `https://${virtualHosted ? `${bucket}.${host}` : host}`;
}

/** Where the SDK's S3 endpoint rules put the bucket behind a configured endpoint. */
function endpointOrigin(url: URL, bucket: string): string {
  if (env.s3ForcePathStyle()) return url.origin;
  const virtualHosted = `${url.protocol}//${bucket}.${url.host}`;
  // WHATWG keeps an IPv6 host in brackets, which is how the SDK's check recognises one.
  const ip = isIpAddress(url.hostname);
  if (isVirtualHostableS3Bucket(bucket)) return ip ? url.origin : virtualHosted;
  // The rules' plain-http case: with no certificate to match, a bucket whose every dot-separated
  // label is a valid bucket label goes in front of the host too, and there they do not ask whether
  // the host is an IP address, so the SDK builds a host (`<bucket>.10.0.0.5`) no URL can carry.
  if (url.protocol === 'http:' && isVirtualHostableS3Bucket(bucket, true)) {
    if (ip)
      throw new ConfigError(
        'FILES_BUCKET has dots and the S3 endpoint is a plain-http IP address: the SDK presigns no valid URL there; set S3_FORCE_PATH_STYLE',
      );
    return virtualHosted;
  }
  return url.origin;
}
