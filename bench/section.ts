/** Runs one benchmark section and prints its metrics as JSON on the last line of stdout. */
import { SECTIONS } from './sections.ts';

const [name] = process.argv.slice(2);
const section = name === undefined ? undefined : SECTIONS[name];
if (section === undefined) {
  process.stderr.write(`unknown section ${name ?? ''}; sections: ${Object.keys(SECTIONS).join(', ')}\n`);
  process.exit(2);
}
const metrics = await section.run();
process.stdout.write(`\n${JSON.stringify(metrics)}\n`);
// Emulator clients keep sockets open; the figures are out, so end here.
process.exit(0);
