#!/bin/sh
# One clear line per missing prerequisite, then a non-zero exit.
missing=0
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys' >/dev/null 2>&1; then
  echo "missing prerequisite: Python 3.11 or newer ($py not found or not runnable); install python3 >= 3.11 with venv, or set PYTHON=" >&2; missing=1
elif ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "missing prerequisite: Python 3.11 or newer; $py is $("$py" -c 'import platform; print(platform.python_version())')" >&2; missing=1
elif ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "missing prerequisite: the Python venv module with pip (Debian: apt-get install python3-venv)" >&2; missing=1
fi
command -v node >/dev/null 2>&1 || { echo "missing prerequisite: Node.js 18 or newer (node not found); install nodejs" >&2; missing=1; }
command -v npm >/dev/null 2>&1 || { echo "missing prerequisite: npm (not found); install npm" >&2; missing=1; }
exit $missing
