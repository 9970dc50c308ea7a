import { bundleFunction } from '../infra/bundling.ts';
const r = await bundleFunction(process.argv[2] ?? 'functions/api-jobs/handler.ts', '/tmp/i18/out/zz');
const entry = Object.keys(r.metafile.outputs).find((n) => r.metafile.outputs[n]!.entryPoint)!;
for (const [input, { bytesInOutput }] of Object.entries(r.metafile.outputs[entry]!.inputs).filter(([i]) => new RegExp(process.argv[3] ?? 'zod').test(i)).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 25)) console.log((bytesInOutput / 1024).toFixed(1), input);
