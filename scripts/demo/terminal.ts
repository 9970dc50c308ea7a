/**
 * How the tour prints: plain lines to a sink (stdout, or an array in the e2e test), with ANSI
 * colours only when the sink is a terminal that wants them (NO_COLOR honoured), so a log file or
 * a pipe gets clean text.
 */
export type Write = (line: string) => void;

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const paint = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;

const COLOURED: Style = {
  bold: paint(1),
  dim: paint(2),
  green: paint(32),
  red: paint(31),
  yellow: paint(33),
  cyan: paint(36),
};
const same = (text: string): string => text;
const PLAIN: Style = { bold: same, dim: same, green: same, red: same, yellow: same, cyan: same };

export function styleFor(colour: boolean): Style {
  return colour ? COLOURED : PLAIN;
}

/** Colours when stdout is a terminal and the user has not opted out (https://no-color.org). */
export function stdoutWantsColour(): boolean {
  return process.stdout.isTTY === true && (process.env.NO_COLOR ?? '') === '';
}
