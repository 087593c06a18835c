// A Hardhat node (npm hardhat 2.x, EDR) as a second JSON-RPC node beside Anvil, for
// the end-to-end suite (tests/utils/node.py) and for operators who want to try the
// CLI on another implementation:
//
//   npx hardhat --config tools/hardhat/hardhat.config.js node --port 8546
//
// The chain is Anvil's default one: chain id 31337 and the same 20 accounts (the
// well-known development mnemonic, 10,000 ETH each), so the manifests, the test
// accounts and the labels of deploy/local.yaml mean the same on both. Blocks are
// mined on every transaction (automine), or every SOVEREIGN_HARDHAT_INTERVAL_MS
// milliseconds with automine off (SOVEREIGN_HARDHAT_INTERVAL_MS=2000: 2-second
// blocks, like a real chain whose transactions wait for their block).
//
// Hardhat logs every request it serves and lists the 20 keys at start-up; here it
// prints one line once it listens, and nothing else. Set SOVEREIGN_HARDHAT_LOG=1 for
// its request log. Nothing is compiled: the node serves what the CLI deploys.
const path = require("path");
const { subtask } = require("hardhat/config");
const { TASK_NODE_SERVER_READY } = require("hardhat/builtin-tasks/task-names");

const interval = Number(process.env.SOVEREIGN_HARDHAT_INTERVAL_MS || 0);
const cache = path.join(__dirname, "..", "..", ".cache", "hardhat");

subtask(TASK_NODE_SERVER_READY).setAction(async ({ address, port }) => {
  const mining = interval ? `interval mining, ${interval} ms` : "automine";
  console.log(`hardhat node listening at http://${address}:${port}/ (chain 31337, ${mining})`);
});

module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      accounts: {
        mnemonic: "test test test test test test test test test test test junk",
        count: 20,
        accountsBalance: "10000000000000000000000",
      },
      mining: interval ? { auto: false, interval } : { auto: true },
      loggingEnabled: process.env.SOVEREIGN_HARDHAT_LOG === "1",
    },
  },
  // The root stays here (Hardhat must find itself in the project's node_modules);
  // its folders are under .cache (the node watches the artifacts folder for compiler
  // output, and there is none).
  paths: {
    sources: path.join(cache, "sources"),
    cache: path.join(cache, "cache"),
    artifacts: path.join(cache, "artifacts"),
  },
};
