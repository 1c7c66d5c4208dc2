import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

// The style made mechanical (STYLE.md §15): module boundaries (from src/ and test/), SQL
// only in store.ts files, line and function lengths, and banned APIs with their
// replacements.

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(root, 'src');
const LINE_COLUMNS_MAX = 100;
const FUNCTION_LINES_MAX = 70;
// Infrastructure every module may import directly; everything else only via its index.ts.
const SHARED = new Set(['lib', 'db', 'config.ts', 'money']);

function files(dir: string, out: string[] = [], name = /\.tsx?$/): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) files(p, out, name);
    else if (name.test(e.name)) out.push(p);
  }
  return out;
}

const all = files(src);
const moduleOf = (file: string) => path.relative(src, file).split(path.sep)[0] ?? '';
const parsed = new Map<string, ts.SourceFile>();
/** Each file is parsed once for every rule that needs its syntax tree. */
function syntaxOf(file: string): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) {
    sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    parsed.set(file, sf);
  }
  return sf;
}

const tests = files(path.join(root, 'test'));
// Temporary: the hand-wired test harnesses reach into modules; they are being replaced by the
// one composition function main.ts uses, and these entries go with them.
const HARNESS_DEEP_IMPORTS_UNTIL_REWIRED = new Set([
  'test/helpers/cards.ts → ../../src/http/server.ts',
  'test/helpers/web-payments.ts → ../../src/payments/accounts.ts',
]);
const IMPORT_RE = /(?:from|import\(?)\s*'(\.[^']+)'/g;

// Tests see a module as other modules do, through its index.ts, so a test proves what the
// module offers rather than what it happens to contain (tests beside code are inside it).
test('modules import each other only through index.ts, from src/ and test/', () => {
  const bad: string[] = [];
  for (const file of [...all, ...tests]) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      if (!target.startsWith(src + path.sep)) continue;
      const from = file.startsWith(src + path.sep) ? moduleOf(file) : '';
      const to = moduleOf(target);
      if (from === to || SHARED.has(to) || to.endsWith('.ts')) continue;
      const edge = `${path.relative(root, file)} → ${m[1]}`;
      if (path.basename(target) !== 'index.ts' && !HARNESS_DEEP_IMPORTS_UNTIL_REWIRED.has(edge))
        bad.push(edge);
    }
  }
  assert.deepEqual(bad, [], 'deep cross-module imports');
});

test(`lines are at most ${LINE_COLUMNS_MAX} columns`, () => {
  const bad: string[] = [];
  for (const file of all) {
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if ([...line].length > LINE_COLUMNS_MAX) bad.push(`${path.relative(root, file)}:${i + 1}`);
      });
  }
  assert.deepEqual(bad, []);
});

// A cherry-pick or merge resolved in haste can leave its markers in a comment, where the
// compiler does not see them: every file of the tree is read for them.
const CONFLICT_MARKER = /^(<{7} |={7}$|>{7} )/m;

test('no merge-conflict markers are left in the tree', () => {
  const tree = ['src', 'test', 'bench', 'docs', 'scripts'].flatMap((d) =>
    fs.existsSync(path.join(root, d))
      ? files(path.join(root, d), [], /\.(tsx?|md|mjs|js|sql)$/)
      : [],
  );
  const top = fs.readdirSync(root).filter((f) => /\.(md|json)$/.test(f));
  const bad = [...tree, ...top.map((f) => path.join(root, f))].filter((f) =>
    CONFLICT_MARKER.test(fs.readFileSync(f, 'utf8')),
  );
  assert.deepEqual(
    bad.map((f) => path.relative(root, f)),
    [],
  );
});

test(`functions are at most ${FUNCTION_LINES_MAX} lines`, () => {
  const bad: string[] = [];
  for (const file of all.filter((f) => !f.endsWith('.test.ts'))) {
    const sf = syntaxOf(file);
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart()).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        if (end - start + 1 > FUNCTION_LINES_MAX)
          bad.push(`${path.relative(root, file)}:${start + 1} (${end - start + 1} lines)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  assert.deepEqual(bad, []);
});

const BANNED: Array<[RegExp, string]> = [
  [/\bMath\.random\s*\(/, 'use crypto.randomInt or crypto.randomBytes'],
  [/\bconsole\.(log|info|debug)\s*\(/, 'use the logger (lib/log.ts)'],
  [/:\s*any\b|\bas any\b|<any>/, 'name the type, or use unknown'],
  [
    /\bparseFloat\s*\(|\bNumber\.parseFloat\b/,
    'money is bigint minor units: use money.parseAmount',
  ],
  [/\.only\s*\(|\.skip\s*\(/, 'no focused or skipped tests'],
];

test('banned APIs are not used in src/', () => {
  const bad: string[] = [];
  for (const file of all) {
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim().startsWith('//')) return;
        for (const [re, instead] of BANNED) {
          if (re.test(line)) bad.push(`${path.relative(root, file)}:${i + 1}: ${instead}`);
        }
      });
  }
  assert.deepEqual(bad, []);
});

// SQL lives in a module's store.ts (STYLE.md §12), so a table's every statement is in one
// file beside the migration that made it. A statement is a tagged template on a database
// handle (postgres.js: sql`…`, tx`…`, db`…`) or one that starts with a SQL keyword, or an
// unsafe() call. db/ is the exception: it is the database layer itself (migrations, roles,
// backups), whose statements work on the schema as a whole, not on one module's tables.
const SQL_OUTSIDE_STORE_ALLOWED = ['db/'];
const SQL_HANDLE = /(^|\.)(sql|tx|db|owner|admin)$/;
const SQL_START = /^\s*(select|insert|update|delete|with|vacuum|copy|lock|create|alter|drop)\b/i;

function sqlStatements(sf: ts.SourceFile): number[] {
  const lines: number[] = [];
  const visit = (node: ts.Node) => {
    const tagged =
      ts.isTaggedTemplateExpression(node) &&
      (SQL_HANDLE.test(node.tag.getText(sf)) ||
        SQL_START.test(
          ts.isNoSubstitutionTemplateLiteral(node.template)
            ? node.template.text
            : node.template.head.text,
        ));
    const unsafe =
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'unsafe';
    if (tagged || unsafe) lines.push(sf.getLineAndCharacterOfPosition(node.getStart()).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return lines;
}

test('SQL is only in store.ts files', () => {
  const bad: string[] = [];
  for (const file of all) {
    const rel = path.relative(src, file);
    if (file.endsWith('.test.ts') || path.basename(file) === 'store.ts') continue;
    if (SQL_OUTSIDE_STORE_ALLOWED.some((prefix) => rel.startsWith(prefix))) continue;
    for (const line of sqlStatements(syntaxOf(file))) bad.push(`src/${rel}:${line}`);
  }
  assert.deepEqual(bad, [], "SQL outside store.ts: move it into the module's store.ts");
});

// No dead declarations (as TigerBeetle's tidy): an export of src/ that no other file imports
// — directly, through a module's index.ts re-export, or by `import * as` or `import()` of its
// file — is not part of any interface. Drop its `export`, or the declaration if nothing uses
// it. Importers are src/, test/, bench/, scripts/ and bin/. Syntax only: a type-checked
// reference search cost seconds per module.
// An exception names the files it covers and why; today there is none.
const UNUSED_EXPORTS_ALLOWED: Array<[RegExp, string]> = [];
const importers = [
  ...all,
  ...tests,
  ...['bench', 'scripts', 'bin'].flatMap((d) => files(path.join(root, d), [], /\.(ts|mjs)$/)),
];

interface ExportedName {
  line: number;
  /** For `export { x } from './y.ts'`: the file and name it passes on. */
  from?: { file: string; name: string } | undefined;
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  return [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find(
    (f) => fs.existsSync(f) && fs.statSync(f).isFile(),
  );
}

/** The names a file exports, and what it imports (`file\0name`; `file\0*` for all). */
function exportsAndImports(file: string, used: Set<string>): Map<string, ExportedName> {
  const sf = syntaxOf(file);
  const names = new Map<string, ExportedName>();
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const use = (spec: string, name: string) => {
    const target = resolveImport(file, spec);
    if (target) used.add(`${target}\0${name}`);
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const spec = st.moduleSpecifier.text;
      const bindings = st.importClause?.namedBindings;
      if (st.importClause?.name) use(spec, 'default');
      if (bindings && ts.isNamespaceImport(bindings)) use(spec, '*');
      if (bindings && ts.isNamedImports(bindings))
        for (const e of bindings.elements) use(spec, (e.propertyName ?? e.name).text);
    } else if (ts.isExportDeclaration(st)) {
      const spec = st.moduleSpecifier;
      const target = spec && ts.isStringLiteral(spec) ? resolveImport(file, spec.text) : file;
      const clause = st.exportClause;
      if (!clause)
        names.set(`*${target}`, {
          line: lineOf(st),
          from: target ? { file: target, name: '*' } : undefined,
        });
      else if (ts.isNamespaceExport(clause))
        names.set(clause.name.text, {
          line: lineOf(st),
          from: target ? { file: target, name: '*' } : undefined,
        });
      else
        for (const e of clause.elements) {
          const from = target ? { file: target, name: (e.propertyName ?? e.name).text } : undefined;
          names.set(e.name.text, { line: lineOf(e), from: target === file ? undefined : from });
        }
    } else if (ts.isExportAssignment(st)) {
      names.set('default', { line: lineOf(st) });
    } else if (
      ts.canHaveModifiers(st) &&
      ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      const isDefault = ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
      const declared = ts.isVariableStatement(st)
        ? st.declarationList.declarations.flatMap((d) => bindingNames(d.name))
        : 'name' in st && st.name && ts.isIdentifier(st.name as ts.Node)
          ? [(st.name as ts.Identifier).text]
          : [];
      for (const name of isDefault ? ['default'] : declared) names.set(name, { line: lineOf(st) });
    }
  }
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) use(arg.text, '*');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal;
      const first = node.qualifier?.getText(sf).split('.')[0] ?? '*';
      if (ts.isStringLiteral(lit)) use(lit.text, first);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return names;
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
}

test('every export of src/ is imported by another file', () => {
  const used = new Set<string>();
  const exported = new Map(importers.map((f) => [f, exportsAndImports(f, used)]));
  const isUsed = (file: string, name: string) =>
    used.has(`${file}\0${name}`) || used.has(`${file}\0*`);
  // A used re-export uses what it passes on; `export *` passes on every name asked of it.
  for (let changed = true; changed;) {
    changed = false;
    for (const [file, names] of exported) {
      for (const [name, e] of names) {
        if (!e.from) continue;
        const star = name.startsWith('*');
        const passed = star
          ? [...(exported.get(e.from.file)?.keys() ?? [])].filter((n) => isUsed(file, n))
          : isUsed(file, name)
            ? [e.from.name]
            : [];
        for (const n of passed) {
          if (used.has(`${e.from.file}\0${n}`)) continue;
          used.add(`${e.from.file}\0${n}`);
          changed = true;
        }
      }
    }
  }
  const bad: string[] = [];
  for (const file of all) {
    const rel = path.relative(src, file);
    const origin = (e: ExportedName) => path.relative(src, e.from?.file ?? file);
    for (const [name, e] of exported.get(file) ?? []) {
      if (name.startsWith('*') || isUsed(file, name)) continue;
      if (UNUSED_EXPORTS_ALLOWED.some(([re]) => re.test(origin(e)))) continue;
      bad.push(`src/${rel}:${e.line} ${name}`);
    }
  }
  assert.deepEqual(bad, [], 'exports no other file imports: drop the export or the code');
});

/** The src files each file imports (type-only imports too: they are part of the plan). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of all) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s+'(\.[^']+)'/g)]
      .map((m) => path.resolve(path.dirname(file), m[1]!))
      .filter((target) => all.includes(target));
    graph.set(file, targets);
  }
  return graph;
}

// An import loop (index.ts ↔ routes.ts, say) makes the order modules load in matter and
// hides which file a type really belongs to: routes take what they use from the file that
// defines it. Tarjan's algorithm finds every loop at once (strongly connected components).
test('no import cycles among src files', () => {
  const graph = importGraph();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) visit(w);
      if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      component.push(path.relative(root, w));
      if (w === v) break;
    }
    if (component.length > 1) cycles.push(component.sort().join(' ↔ '));
  };
  for (const file of all) if (!index.has(file)) visit(file);
  assert.deepEqual(cycles, [], 'import cycles');
});
