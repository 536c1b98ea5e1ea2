// A stand-in for the `vscode` module, enough to load the bundle and run `activate` outside the
// editor. It does what the extension host would do cheaply (registries that hand back
// disposables, configuration that returns defaults) and nothing else: no rendering, no calls
// into the tree provider, so what is timed is the extension's own work.
import Module from 'node:module';

type Listener<T> = (value: T) => unknown;

export class FakeDisposable {
  private readonly fn: (() => unknown) | undefined;
  constructor(fn?: () => unknown) {
    this.fn = fn;
  }
  static from(...items: Array<{ dispose(): unknown }>): FakeDisposable {
    return new FakeDisposable(() => items.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn?.();
  }
}

export class FakeEventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>): FakeDisposable => {
    this.listeners.add(listener);
    return new FakeDisposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

class TreeItem {
  label: unknown;
  collapsibleState: unknown;
  constructor(label: unknown, collapsibleState?: unknown) {
    this.label = label;
    this.collapsibleState = collapsibleState;
  }
}

class ThemeIcon {
  readonly id: string;
  readonly color: unknown;
  constructor(id: string, color?: unknown) {
    this.id = id;
    this.color = color;
  }
}

class ThemeColor {
  readonly id: string;
  constructor(id: string) {
    this.id = id;
  }
}

class MarkdownString {
  value: string;
  constructor(value = '') {
    this.value = value;
  }
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendText(text: string): this {
    this.value += text;
    return this;
  }
}

class TerminalProfile {
  readonly options: unknown;
  constructor(options: unknown) {
    this.options = options;
  }
}

const Uri = {
  file: (path: string) => ({ scheme: 'file', path, fsPath: path, toString: () => `file://${path}` }),
  parse: (value: string) => ({ scheme: value.split(':')[0], path: value, fsPath: value, toString: () => value }),
};

function disposable(): FakeDisposable {
  return new FakeDisposable();
}

class RelativePattern {
  readonly base: unknown;
  readonly pattern: string;
  constructor(base: unknown, pattern: string) {
    this.base = base;
    this.pattern = pattern;
  }
}

/** Whatever the extension reaches for that is not modelled: callable, constructible, inert. */
function inert(path: string, touched: Set<string>): object {
  const assigned = new Map<PropertyKey, unknown>();
  return new Proxy(function () {}, {
    get(_t, prop) {
      if (assigned.has(prop)) return assigned.get(prop);
      if (prop === 'then') return undefined;
      if (prop === 'dispose') return () => {};
      if (typeof prop === 'symbol') return undefined;
      touched.add(`${path}.${prop}`);
      return inert(`${path}.${prop}`, touched);
    },
    // Status bar items and the like get properties set on them.
    set(_t, prop, value) {
      assigned.set(prop, value);
      return true;
    },
    defineProperty(_t, prop, descriptor) {
      assigned.set(prop, descriptor.value);
      return true;
    },
    // A call's result may be used as a disposable, an event, or an object with more members.
    apply: () => inert(`${path}()`, touched),
    construct: () => inert(`new ${path}`, touched),
  });
}

function withFallback<T extends object>(name: string, known: T, touched: Set<string>): T {
  return new Proxy(known, {
    get(t, prop, receiver) {
      if (prop in t || typeof prop === 'symbol') return Reflect.get(t, prop, receiver);
      touched.add(`${name}.${prop}`);
      return inert(`${name}.${prop}`, touched);
    },
  });
}

export interface FakeVscode {
  api: Record<string, unknown>;
  /** Members the extension used that the fake does not model (reported, so the fake can grow). */
  touched: Set<string>;
  registeredCommands: string[];
}

/**
 * Names the real module exports (classes, enums, namespaces), read from @types/vscode. Bundlers
 * copy a CommonJS module's own properties into a namespace object, so a member the fake does
 * not define up front would be undefined rather than falling back to an inert stand-in.
 */
export function vscodeExportNames(dts: string): string[] {
  const names = new Set<string>();
  for (const m of dts.matchAll(/^\s*export (?:declare )?(?:class|enum|namespace|const|let|var|function) (\w+)/gm)) names.add(m[1]!);
  return [...names];
}

export function createFakeVscode(exportNames: readonly string[] = []): FakeVscode {
  const touched = new Set<string>();
  const registeredCommands: string[] = [];
  const configuration = {
    get: (_key: string, fallback?: unknown) => fallback,
    has: () => false,
    inspect: () => undefined,
    update: async () => {},
  };
  const api: Record<string, unknown> = {
    Disposable: FakeDisposable,
    EventEmitter: FakeEventEmitter,
    TreeItem,
    ThemeIcon,
    ThemeColor,
    MarkdownString,
    TerminalProfile,
    RelativePattern,
    Uri,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    window: withFallback(
      'window',
      {
        createTreeView: () => ({
          onDidChangeVisibility: new FakeEventEmitter().event,
          onDidExpandElement: new FakeEventEmitter().event,
          onDidCollapseElement: new FakeEventEmitter().event,
          onDidChangeSelection: new FakeEventEmitter().event,
          visible: false,
          selection: [],
          reveal: async () => {},
          dispose: () => {},
        }),
        registerTerminalProfileProvider: disposable,
        registerTreeDataProvider: disposable,
        showErrorMessage: async () => undefined,
        showWarningMessage: async () => undefined,
        showInformationMessage: async () => undefined,
        createOutputChannel: () => ({ appendLine: () => {}, append: () => {}, show: () => {}, dispose: () => {} }),
        createStatusBarItem: () => ({ show: () => {}, hide: () => {}, dispose: () => {} }),
        registerUriHandler: disposable,
        registerWebviewViewProvider: disposable,
        terminals: [],
      },
      touched,
    ),
    commands: withFallback(
      'commands',
      {
        registerCommand: (id: string) => {
          registeredCommands.push(id);
          return disposable();
        },
        executeCommand: async () => undefined,
      },
      touched,
    ),
    workspace: withFallback(
      'workspace',
      {
        getConfiguration: () => configuration,
        createFileSystemWatcher: () => ({
          onDidCreate: new FakeEventEmitter().event,
          onDidChange: new FakeEventEmitter().event,
          onDidDelete: new FakeEventEmitter().event,
          dispose: () => {},
        }),
        onDidChangeWorkspaceFolders: new FakeEventEmitter().event,
        registerTextDocumentContentProvider: disposable,
        registerFileSystemProvider: disposable,
        onDidChangeConfiguration: new FakeEventEmitter().event,
        onDidGrantWorkspaceTrust: new FakeEventEmitter().event,
        isTrusted: true,
        workspaceFolders: undefined,
      },
      touched,
    ),
    env: withFallback('env', { clipboard: { writeText: async () => {}, readText: async () => '' }, appName: 'bench' }, touched),
  };
  for (const name of exportNames) if (!(name in api)) api[name] = inert(name, touched);
  return { api: withFallback('vscode', api, touched), touched, registeredCommands };
}

export function fakeExtensionContext(storagePath: string): Record<string, unknown> {
  const memento = () => {
    const values = new Map<string, unknown>();
    return {
      get: (key: string, fallback?: unknown) => (values.has(key) ? values.get(key) : fallback),
      update: async (key: string, value: unknown) => void values.set(key, value),
      keys: () => [...values.keys()],
      setKeysForSync: () => {},
    };
  };
  return {
    subscriptions: [] as Array<{ dispose(): unknown }>,
    globalState: memento(),
    workspaceState: memento(),
    extensionPath: process.cwd(),
    globalStorageUri: { fsPath: storagePath, path: storagePath, scheme: 'file' },
    storageUri: undefined,
    logUri: { fsPath: storagePath, path: storagePath, scheme: 'file' },
    extensionMode: 1,
    secrets: { get: async () => undefined, store: async () => {}, delete: async () => {}, onDidChange: new FakeEventEmitter().event },
    environmentVariableCollection: { replace: () => {}, append: () => {}, prepend: () => {}, clear: () => {} },
  };
}

/** Makes `require('vscode')` (what the CJS bundle does) return the fake. */
export function installFakeVscode(fake: FakeVscode): void {
  const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const original = mod._load;
  mod._load = function (request: string, parent: unknown, isMain: boolean) {
    if (request === 'vscode') return fake.api;
    return original.call(this, request, parent, isMain);
  };
}
