"""Loads a script of `benchmarks/` as a module, as `python benchmarks/<name>.py` sees it."""

import importlib.util
import pathlib
import sys

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / 'benchmarks'


def load(name):
  """The module `benchmarks/<name>.py`, with `benchmarks/` importable (its shared modules)."""
  if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
  spec = importlib.util.spec_from_file_location(f'{name}_benchmark', BENCHMARKS / f'{name}.py')
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module
