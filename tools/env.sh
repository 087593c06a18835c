# Source this file (". tools/env.sh") to use the project's toolchain by hand.
# Every make target sources it; nothing here touches the home folder.
_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
# A project-local ape data folder: ape's dependency and compiler caches are
# otherwise shared by every project under ~/.ape and can break each other.
export APE_DATA_FOLDER="$_root/.ape"
# py-solc-x (and so ape-solidity) look for compilers named solc-v<version> here.
export SOLCX_BINARY_PATH="$_root/tools/solc/bin"
# The real anvil binary from the npm platform package, not the Node wrapper in
# node_modules/.bin: ape-foundry's stop signal must reach anvil itself.
for _anvil in "$_root"/node_modules/@foundry-rs/anvil-*/bin; do
  [ -x "$_anvil/anvil" ] && PATH="$_anvil:$PATH"
done
export PATH="$_root/.venv/bin:$_root/tools/solc/bin:$PATH"
# Pydantic 2.11+ deprecation noise from ape's own models; harmless.
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
unset _root _anvil
