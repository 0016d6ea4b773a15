// Second step of `npm run build`, after tsc: turns dist/main.js into one file holding `run` and
// only the code of its dependencies that `run` reaches.
//
// Why: importing @kubernetes/client-node loads its whole generated API (every group's request
// factories and Observable/ObjectParam wrappers, about 20 MB of source V8 keeps in the heap)
// because its KubeConfig imports the generated index. The operator calls a dozen endpoints. Tree
// shaking keeps those, and the scale benchmark's operator heap falls by about 30 MB and its
// start-up by about a second (deploy/README.md, "Sizing").
//
// plan and validate stay as tsc wrote them (main.js imports dist/cli/*.js at run time): they are
// short-lived commands, and validate finds crds/ relative to its own file.
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url);
const unbundled = /^\.\/cli\/(plan|validate)\.js$/;

await build({
  entryPoints: [new URL('main.js', dist).pathname],
  outfile: new URL('main.js', dist).pathname,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: `node${process.versions.node.split('.')[0]}`,
  // Smaller source is less heap: V8 keeps every script's source for lazy compilation. Names
  // stay, so stack traces and profiles still read.
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'linked',
  sourcemap: 'linked',
  // The CommonJS dependencies (pino, prom-client) require Node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  plugins: [
    {
      name: 'leave plan and validate unbundled',
      setup(bundler) {
        bundler.onResolve({ filter: unbundled }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
  logLevel: 'warning',
});
