import { bundleFunction } from '../infra/bundling.ts';
import { FUNCTIONS } from '../infra/manifest.ts';
const only = process.argv[2];
for (const spec of FUNCTIONS) {
  if (only && spec.name !== only) continue;
  const r = await bundleFunction(spec.entry, `/tmp/i18/out/${spec.name}`);
  const entry = Object.keys(r.metafile.outputs).find((n) => r.metafile.outputs[n]!.entryPoint)!;
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(r.metafile.outputs[entry]!.inputs)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const key = m ? m[1]! : input.split('/').slice(0, 2).join('/');
    groups.set(key, (groups.get(key) ?? 0) + bytesInOutput);
  }
  const top = [...groups].sort((a, b) => b[1] - a[1]).slice(0, only ? 30 : 8).map(([k, v]) => `${k}=${(v / 1024).toFixed(1)}`);
  console.log(spec.name, (r.bytes / 1024).toFixed(1), top.join(' '));
}
