// The Premiere panel as a TypeScript program (tests/node/tsconfig.json), shared by
// check_panel.js (type errors + awaits) and check_fake.js (the fake held to the d.ts).
"use strict";

const path = require("path");
const ts = require("typescript");

const HERE = __dirname;
const DTS_NAME = "premierepro.d.ts";

/**
 * The program from tsconfig.json; `files` (absolute .js paths) replace the panel files.
 * @param {string[] | null} files
 */
function createProgram(files = null) {
  const configPath = path.join(HERE, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, HERE);
  let roots = parsed.fileNames;
  if (files) roots = roots.filter((f) => f.endsWith(".d.ts")).concat(files.map((f) => path.resolve(f)));
  const program = ts.createProgram({ rootNames: roots, options: parsed.options });
  const panelFiles = roots.filter((f) => f.endsWith(".js")).map((f) => path.resolve(f));
  return { program, checker: program.getTypeChecker(), panelFiles };
}

function isFromDts(decl) {
  return Boolean(decl) && path.basename(decl.getSourceFile().fileName) === DTS_NAME;
}

/** "Project", "ProjectStatic", "premierepro", "Constants.TrackItemType" for a d.ts member. */
function ownerName(decl) {
  let node = decl.parent;
  while (node && !ts.isTypeAliasDeclaration(node) && !ts.isEnumDeclaration(node) && !ts.isModuleDeclaration(node)) {
    node = node.parent;
  }
  if (!node) return "?";
  const names = [node.name.text];
  for (let up = node.parent; up; up = up.parent) if (ts.isModuleDeclaration(up)) names.unshift(up.name.text);
  return names.join(".");
}

/** Whether a method signature in the d.ts returns a Promise (its written return type). */
function returnsPromise(decl) {
  const t = decl.type;
  return Boolean(t && ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && t.typeName.text === "Promise");
}

function location(node) {
  const sf = node.getSourceFile();
  const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart());
  return `${path.relative(process.cwd(), sf.fileName)}:${line + 1}:${character + 1}`;
}

/** Every d.ts member the panel files touch: [{owner, name, kind, promise, primitive, where}]. */
function hostMembersUsed({ program, checker, panelFiles }) {
  const seen = new Map();
  for (const file of panelFiles) {
    const sf = program.getSourceFile(file);
    const visit = (node) => {
      if (ts.isPropertyAccessExpression(node)) {
        const symbol = checker.getSymbolAtLocation(node.name);
        const decl = symbol && symbol.declarations && symbol.declarations.find(isFromDts);
        if (decl) {
          const kind = ts.isMethodSignature(decl) ? "method" : "property";
          const key = `${ownerName(decl)}.${node.name.text}`;
          if (!seen.has(key)) {
            let primitive = null;
            if (ts.isPropertySignature(decl) && decl.type) {
              const k = decl.type.kind;
              primitive = k === ts.SyntaxKind.StringKeyword ? "string" : k === ts.SyntaxKind.NumberKeyword ? "number"
                : k === ts.SyntaxKind.BooleanKeyword ? "boolean" : null;
            }
            if (ts.isEnumMember(decl)) primitive = "number";
            seen.set(key, { owner: ownerName(decl), name: node.name.text, kind,
              promise: kind === "method" && returnsPromise(decl), primitive, where: location(node) });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return [...seen.values()];
}

module.exports = { ts, createProgram, hostMembersUsed, isFromDts, ownerName, returnsPromise, location, DTS_NAME };
