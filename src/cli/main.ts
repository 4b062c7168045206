/** The `pathlight` command line: one JSON object on stdout, or one line on stderr and a non-zero exit. */
import { PathlightError } from '../engine/errors';
import { parseArgs } from './args';
import { COMMANDS } from './commands/index';

function usage(): string {
  return ['usage: pathlight COMMAND [options]', ...Object.values(COMMANDS).map((c) => `  pathlight ${c.usage}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`pathlight: ${(e as Error).message}\n`);
    return 2;
  }
  if (args.command === 'help' || args.command === '--help' || args.flags.has('help')) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const cmd = COMMANDS[args.command];
  if (!cmd) {
    process.stderr.write(`pathlight: unknown command "${args.command}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  try {
    const out = await cmd.run(args);
    // A command returns the JSON object it prints, or a string printed as it is (patch --format csv).
    const text = typeof out === 'string' ? out : JSON.stringify(out) + '\n';
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
    return 0;
  } catch (e) {
    const msg = e instanceof PathlightError ? e.message : `internal error: ${(e as Error).message ?? String(e)}`;
    process.stderr.write(`pathlight ${args.command}: ${msg.split('\n')[0]}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exit(code);
