#!/usr/bin/env node

const USAGE = `Usage: checkpoint-share <command> [flags]

Commands:
  run       run the controller (see: checkpoint-share run --help)
  plan      what applying manifests would grant, adopt and revoke (read-only; exit 2 if it revokes)
  validate  check manifests against the CRDs and the rules across objects (no cluster, no key)

Flags:
  --version print the version
`;

/** argv -> one command; each command returns the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  switch (command) {
    case 'run': {
      // Loaded on demand: the Kubernetes client takes a second to load, which --help need not pay.
      const { run, RUN_HELP } = await import('./cli/run.js');
      return wantsHelp ? print(RUN_HELP) : run(rest);
    }
    case 'plan': {
      const { plan, PLAN_HELP } = await import('./cli/plan.js');
      return wantsHelp ? print(PLAN_HELP) : plan(rest);
    }
    case 'validate': {
      const { validate, VALIDATE_HELP } = await import('./cli/validate.js');
      return wantsHelp ? print(VALIDATE_HELP) : validate(rest);
    }
    case '--version':
    case 'version': {
      const { operatorVersion } = await import('./version.js');
      return print(`checkpoint-share ${operatorVersion()}\n`);
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      return print(USAGE);
    default:
      process.stderr.write(`checkpoint-share: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}

main(process.argv.slice(2)).then(
  // Exit explicitly: a keep-alive socket or a stray timer must not hold a stopped operator.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`checkpoint-share: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
