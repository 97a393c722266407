// The Premiere panel against Adobe's @adobe/premierepro definitions:
//  1. TypeScript's own errors (strict checkJs; a Promise has no `.ticks`), as `tsc -p tests/node`;
//  2. every call the d.ts types as returning a Promise is awaited where it is made (or returned
//     from an async function); an unawaited one is an error even when its value is unused;
//  3. no call the d.ts types as synchronous is awaited (the code must agree with the d.ts);
//  4. no Promise of any kind is left floating as a statement of its own.
//  5. (for the panel as shipped) the fake premierepro agrees with the d.ts, as check_fake.js.
// usage: node tests/node/check_panel.js [panel .js files]   exit 1 on any finding
"use strict";

const { ts, createProgram, isFromDts, ownerName, returnsPromise, location } = require("./panel_program.js");

function unparenthesized(node) {
  let parent = node.parent;
  while (parent && ts.isParenthesizedExpression(parent)) parent = parent.parent;
  return parent;
}

function insideAsyncFunction(node) {
  for (let up = node.parent; up; up = up.parent) {
    if (ts.isFunctionLike(up)) return Boolean(ts.getCombinedModifierFlags(up) & ts.ModifierFlags.Async);
  }
  return false;
}

function isPromiseType(checker, type) {
  const symbol = type.getSymbol() || type.aliasSymbol;
  if (symbol && symbol.getName() === "Promise") return true;
  if (type.isUnion()) return type.types.some((t) => isPromiseType(checker, t));
  return false;
}

function awaitFindings({ program, checker, panelFiles }) {
  const out = [];
  for (const file of panelFiles) {
    const visit = (node) => {
      if (ts.isCallExpression(node)) {
        const signature = checker.getResolvedSignature(node);
        const decl = signature && signature.getDeclaration();
        const parent = unparenthesized(node);
        const awaited = parent && ts.isAwaitExpression(parent);
        const returned = parent && ts.isReturnStatement(parent) && insideAsyncFunction(node);
        if (decl && isFromDts(decl) && ts.isMethodSignature(decl)) {
          const what = `${ownerName(decl)}.${decl.name.getText()}()`;
          if (returnsPromise(decl) && !awaited && !returned) {
            out.push(`${location(node)}: ${what} returns a Promise (premierepro.d.ts) and is not awaited`);
          }
          if (!returnsPromise(decl) && awaited) {
            out.push(`${location(node)}: ${what} is synchronous in premierepro.d.ts but is awaited`);
          }
        }
        if (parent && ts.isExpressionStatement(parent) && isPromiseType(checker, checker.getTypeAtLocation(node))) {
          out.push(`${location(node)}: a Promise is left floating (await it or handle it)`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(program.getSourceFile(file));
  }
  return out;
}

function main() {
  const files = process.argv.slice(2);
  const built = createProgram(files.length ? files : null);
  const diagnostics = ts.getPreEmitDiagnostics(built.program)
    .filter((d) => !d.file || !d.file.fileName.endsWith(".d.ts"));
  const host = {
    getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n",
  };
  const awaits = awaitFindings(built);
  const findings = [...awaits];
  let fakeNote = "";
  if (!files.length) {
    const [used, mismatches] = require("./check_fake.js").fakeFindings(built);
    findings.push(...mismatches.map((m) => `fake premierepro: ${m}`));
    fakeNote = `; fake held to ${used.length} premierepro member(s): ${mismatches.length} mismatch(es)`;
  }
  if (diagnostics.length) process.stdout.write(ts.formatDiagnostics(diagnostics, host));
  for (const f of findings) process.stdout.write(`${f}\n`);
  const total = diagnostics.length + findings.length;
  process.stdout.write(`checked ${built.panelFiles.length} panel file(s): ${diagnostics.length} type error(s), ` +
    `${awaits.length} await finding(s)${fakeNote}\n`);
  process.exit(total ? 1 : 0);
}

main();
