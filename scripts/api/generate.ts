/**
 * `npm run api:generate`: the typed client's types, generated from the OpenAPI document that the
 * route table generates, into a committed file (scripts/api/openapi-types.ts). A route change that
 * breaks a client then breaks `tsc` here first: in the demo and in the README's example.
 *
 * `--check` (in .ci/run) only compares: it fails when the committed file is not what the route
 * table generates now. `--document <file>` also writes the document itself (for the lint).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildOpenApiDocument } from '../../shared/api/openapi.ts';

const TYPES_FILE = join(dirname(fileURLToPath(import.meta.url)), 'openapi-types.ts');
const HEADER =
  '// Generated from the route table by `npm run api:generate` (openapi-typescript). Do not edit.\n';

async function generatedTypes(document: object): Promise<string> {
  // Defaults make a property optional on input: a request may leave it out (FieldDefinitionInput).
  const ast = await openapiTS(JSON.stringify(document), { defaultNonNullable: false });
  return HEADER + astToString(ast);
}

async function main(args: readonly string[]): Promise<number> {
  const document = buildOpenApiDocument();
  const documentAt = args.indexOf('--document');
  if (documentAt >= 0) {
    const file = args[documentAt + 1];
    if (file === undefined) throw new Error('--document needs a file name');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  }
  const types = await generatedTypes(document);
  if (args.includes('--check')) {
    const committed = await readFile(TYPES_FILE, 'utf8').catch(() => '');
    if (committed === types) return 0;
    process.stderr.write(
      `${TYPES_FILE} is not what the route table generates: run npm run api:generate and commit it\n`,
    );
    return 1;
  }
  await writeFile(TYPES_FILE, types);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
