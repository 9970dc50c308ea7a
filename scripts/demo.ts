/**
 * `npm run demo`: a five-minute tour of Custos against a running `npm start` (CUSTOS_URL, default
 * http://localhost:3000). It builds a small organization and walks each data subject right in
 * turn, printing every HTTP call with the GDPR article it serves. Any unexpected status or content
 * fails its step and the exit code is 1, so the tour doubles as a smoke test of a running stack.
 *
 * test/e2e/demo.test.ts calls runDemo() against an in-process local stack.
 */
import { pathToFileURL } from 'node:url';
import { routeKey, type HttpMethod } from '../shared/api/route.ts';
import { DemoClient, StepFailure, type AnswerSeen } from './demo/client.ts';
import { stdoutWantsColour, styleFor, type Write } from './demo/terminal.ts';
import { TOUR, type Step, type TourState } from './demo/tour.ts';
import { JANE } from './demo/people.ts';

export interface DemoOptions {
  readonly baseUrl: string;
  /** Where lines go; stdout by default. */
  readonly write?: Write;
  readonly colour?: boolean;
  /** Sees every answer of an API call (the e2e test hands them to the contract check). */
  readonly onAnswer?: (answer: AnswerSeen) => void;
}

export interface StepOutcome {
  readonly title: string;
  readonly ok: boolean;
  /** The summary when it passed, what went wrong when not, or why it did not run. */
  readonly message: string;
}

export interface DemoResult {
  readonly ok: boolean;
  readonly steps: readonly StepOutcome[];
}

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The route keys (`POST /v1/orgs`) the running service describes in its OpenAPI document. */
async function servedRoutes(client: DemoClient): Promise<Set<string>> {
  const document = await client.ok(
    { expect: 200, why: 'The service describes every route it serves (OpenAPI 3)' },
    () => client.api.GET('/v1/openapi.json'),
  );
  const keys = new Set<string>();
  for (const [path, operations] of Object.entries(document.paths)) {
    if (typeof operations !== 'object' || operations === null) continue;
    for (const method of METHODS)
      if (method.toLowerCase() in operations) keys.add(routeKey({ method, path }));
  }
  return keys;
}

function missingRoutes(step: Step, served: ReadonlySet<string>): string[] {
  return step.routes.map(routeKey).filter((key) => !served.has(key));
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const style = styleFor(options.colour ?? false);
  const client = new DemoClient(options.baseUrl, write, style, options.onAnswer);
  const outcomes: StepOutcome[] = [];

  write(style.bold(`Custos — a tour of the data subject rights, against ${options.baseUrl}`));
  write('');
  let served: Set<string>;
  try {
    served = await servedRoutes(client);
  } catch (error) {
    const message = error instanceof StepFailure ? error.message : String(error);
    write(`  ${style.red('✘')} ${message}`);
    return { ok: false, steps: [{ title: 'The service answers', ok: false, message }] };
  }

  const state: TourState = {
    run: Date.now().toString(36),
    jobs: { jane: [], john: [] },
    janeEmail: JANE.email,
  };
  let stopped: string | undefined;
  for (const [index, step] of TOUR.entries()) {
    write('');
    write(style.bold(`${index + 1}/${TOUR.length} ${step.title}`));
    write(`  ${style.dim(step.article)}`);
    if (stopped !== undefined) {
      write(`  ${style.yellow('–')} not run: ${stopped}`);
      outcomes.push({ title: step.title, ok: false, message: `not run: ${stopped}` });
      continue;
    }
    const missing = missingRoutes(step, served);
    try {
      if (missing.length > 0) throw new StepFailure(`This service does not serve ${missing.join(', ')} yet`);
      const summary = await step.run(client, state);
      write(`  ${style.green('✔')} ${summary}`);
      outcomes.push({ title: step.title, ok: true, message: summary });
    } catch (error) {
      // Only our own checks are expected; anything else is a bug in the tour, shown whole.
      if (!(error instanceof StepFailure)) throw error;
      write(`  ${style.red('✘')} ${error.message}`);
      outcomes.push({ title: step.title, ok: false, message: error.message });
      if (step.essential === true) stopped = `"${step.title}" failed`;
    }
  }

  const failed = outcomes.filter((outcome) => !outcome.ok);
  write('');
  write(
    failed.length === 0
      ? style.green(style.bold(`Every step passed (${outcomes.length}/${outcomes.length}).`))
      : style.red(
          style.bold(
            `${failed.length} of ${outcomes.length} steps did not pass: ${failed.map((f) => f.title).join('; ')}.`,
          ),
        ),
  );
  return { ok: failed.length === 0, steps: outcomes };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const baseUrl = process.env.CUSTOS_URL ?? 'http://localhost:3000';
  runDemo({ baseUrl, colour: stdoutWantsColour() }).then(
    (result) => process.exit(result.ok ? 0 : 1),
    (error: unknown) => {
      process.stderr.write(
        `The demo itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
