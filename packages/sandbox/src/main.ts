#!/usr/bin/env node

const USAGE = `Usage: checkpoint-share-sandbox <command> [flags]
(from the repository root: npm run sandbox -- [flags], npm run demo)

Commands:
  sandbox   start the local Kubernetes and OpenAI stand-ins (see: sandbox --help)
  demo      run the operator against the stand-ins and show what it does
`;

/** argv -> one command; each command returns the process exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  switch (command) {
    case 'sandbox': {
      const { sandbox, SANDBOX_HELP } = await import('./cli/sandbox.js');
      return wantsHelp ? print(SANDBOX_HELP) : sandbox(rest);
    }
    case 'demo': {
      const { demo, DEMO_HELP } = await import('./cli/demo.js');
      return wantsHelp ? print(DEMO_HELP) : demo(rest);
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      return print(USAGE);
    default:
      process.stderr.write(
        `checkpoint-share-sandbox: unknown command ${JSON.stringify(command)}\n\n${USAGE}`,
      );
      return 2;
  }
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `checkpoint-share-sandbox: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
