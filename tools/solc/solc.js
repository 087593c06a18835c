#!/usr/bin/env node
// A native-solc-compatible command line over the npm `solc` package (solcjs).
//
// Why this exists: no native solc binary can be downloaded on the machines this
// project targets (py-solc-x and solc-select fetch binaries at run time), but the
// npm registry serves the compiler as WebAssembly. py-solc-x / ape-solidity and
// slither/crytic-compile only need three calls of the native CLI:
//
//   solc --version
//   solc --standard-json [--base-path DIR] [--include-path DIR]... [--allow-paths ...]
//   solc --combined-json abi,bin,... [remap=target ...] [--base-path DIR] FILE...
//
// Compiler diagnostics are passed through unchanged (solc's own formattedMessage,
// naming file, line and column). In --standard-json mode the wrapper behaves as
// native solc does: the JSON on stdout is exactly what the compiler produced and
// the exit code is 0 even when it holds errors, because py-solc-x reads the
// errors from that JSON and raises them with their messages, whereas a non-zero
// exit makes it throw a message-less "An error occurred during execution". The
// formatted errors are also copied to stderr for a human at a shell.
// In --combined-json mode errors go to stderr and the exit code is 1.
"use strict";

const fs = require("fs");
const path = require("path");

const projectRoot = path.resolve(__dirname, "..", "..");
const solc = require(require.resolve("solc", { paths: [projectRoot] }));

function usage(message) {
  process.stderr.write(`solc wrapper: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { mode: null, basePath: null, includePaths: [], files: [], remappings: [], combined: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const takeValue = () => {
      if (arg.includes("=")) return arg.slice(arg.indexOf("=") + 1);
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--version" || arg === "-v") opts.mode = "version";
    else if (arg === "--standard-json") opts.mode = "standard-json";
    else if (arg.startsWith("--combined-json")) { opts.mode = "combined-json"; opts.combined = takeValue().split(","); }
    else if (arg.startsWith("--base-path")) opts.basePath = takeValue();
    else if (arg.startsWith("--include-path")) opts.includePaths.push(takeValue());
    else if (arg.startsWith("--allow-paths")) takeValue(); // every path on disk is readable here
    else if (arg === "--optimize") opts.optimize = true;
    else if (arg.startsWith("--optimize-runs")) opts.optimizeRuns = Number(takeValue());
    else if (arg.startsWith("--evm-version")) opts.evmVersion = takeValue();
    else if (arg === "--via-ir") opts.viaIR = true;
    else if (arg === "--no-color" || arg === "--pretty-json") { /* accepted, no effect */ }
    else if (arg.startsWith("--")) usage(`unsupported option ${arg} (this wrapper speaks --version, --standard-json and --combined-json)`);
    else if (!arg.startsWith("-") && arg.includes("=") && !fs.existsSync(arg)) opts.remappings.push(arg);
    else opts.files.push(arg);
  }
  return opts;
}

// Resolve an import the way native solc does: relative to the base path, then
// each include path, then as given (absolute, or relative to the working dir).
function makeImportCallback(opts) {
  const roots = [opts.basePath, ...opts.includePaths, process.cwd()].filter(Boolean);
  return (importPath) => {
    const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.resolve(r, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, "utf8") };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
  };
}

function compile(input, opts) {
  return JSON.parse(solc.compile(JSON.stringify(input), { import: makeImportCallback(opts) }));
}

function reportErrors(output) {
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of errors) process.stderr.write(`${e.formattedMessage || e.message}\n`);
  return errors.length;
}

function standardJson(opts) {
  const raw = fs.readFileSync(0, "utf8");
  let input;
  try {
    input = JSON.parse(raw);
  } catch (err) {
    usage(`--standard-json input on stdin is not JSON: ${err.message}`);
  }
  const output = compile(input, opts);
  process.stdout.write(JSON.stringify(output));
  reportErrors(output);
}

// --combined-json: translate to standard JSON, then back to the combined layout
// that crytic-compile (slither) reads.
const COMBINED_TO_STANDARD = {
  abi: ["abi"],
  bin: ["evm.bytecode.object"],
  "bin-runtime": ["evm.deployedBytecode.object"],
  srcmap: ["evm.bytecode.sourceMap"],
  "srcmap-runtime": ["evm.deployedBytecode.sourceMap"],
  hashes: ["evm.methodIdentifiers"],
  metadata: ["metadata"],
  userdoc: ["userdoc"],
  devdoc: ["devdoc"],
  "storage-layout": ["storageLayout"],
  "compact-format": [],
  ast: [],
};

function pick(contract, key) {
  switch (key) {
    case "abi": return contract.abi;
    case "bin": return contract.evm.bytecode.object;
    case "bin-runtime": return contract.evm.deployedBytecode.object;
    case "srcmap": return contract.evm.bytecode.sourceMap;
    case "srcmap-runtime": return contract.evm.deployedBytecode.sourceMap;
    case "hashes": return contract.evm.methodIdentifiers;
    case "metadata": return contract.metadata;
    case "userdoc": return contract.userdoc;
    case "devdoc": return contract.devdoc;
    case "storage-layout": return contract.storageLayout;
    default: return undefined;
  }
}

function combinedJson(opts) {
  if (opts.files.length === 0) usage("--combined-json needs at least one source file");
  const sources = {};
  for (const file of opts.files) {
    const key = opts.basePath ? path.relative(opts.basePath, path.resolve(file)) : file;
    sources[key] = { content: fs.readFileSync(file, "utf8") };
  }
  const outputs = new Set();
  for (const key of opts.combined) {
    if (!(key in COMBINED_TO_STANDARD)) usage(`unsupported --combined-json field ${key}`);
    for (const o of COMBINED_TO_STANDARD[key]) outputs.add(o);
  }
  const settings = {
    remappings: opts.remappings,
    outputSelection: { "*": { "*": [...outputs], "": ["ast"] } },
  };
  if (opts.optimize) settings.optimizer = { enabled: true, runs: opts.optimizeRuns || 200 };
  if (opts.evmVersion) settings.evmVersion = opts.evmVersion;
  if (opts.viaIR) settings.viaIR = true;
  const output = compile({ language: "Solidity", sources, settings }, opts);
  if (reportErrors(output) > 0) {
    process.exitCode = 1;
    return;
  }
  const contracts = {};
  for (const [file, byName] of Object.entries(output.contracts || {})) {
    for (const [name, contract] of Object.entries(byName)) {
      const entry = {};
      for (const key of opts.combined) {
        const value = pick(contract, key);
        if (value !== undefined) entry[key] = value;
      }
      contracts[`${file}:${name}`] = entry;
    }
  }
  const sourceList = Object.keys(output.sources || {});
  const combinedSources = {};
  for (const file of sourceList) combinedSources[file] = { AST: output.sources[file].ast, id: output.sources[file].id };
  process.stdout.write(JSON.stringify({ contracts, sourceList, sources: combinedSources, version: solc.version() }));
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.mode === "version") {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  } else if (opts.mode === "standard-json") {
    standardJson(opts);
  } else if (opts.mode === "combined-json") {
    combinedJson(opts);
  } else {
    usage("nothing to do: pass --version, --standard-json or --combined-json");
  }
}

main();
