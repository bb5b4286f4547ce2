"""The registry of bad inputs: every public entry point, each argument it refuses.

A case is a call that must fail with a clear error: the exception type
(`ValueError` or `TypeError`, or a TF `InvalidArgumentError` for value checks
made under `validate_args`) and a regular expression that names the argument
and says what is wrong. Each `tests/bad_inputs/cases_*.py` registers the
cases of one area (distributions, bijectors, evaluation, the Keras model,
datasets); `test_bad_inputs.py` runs them all, so a case cannot be added
without being run.
"""

import dataclasses
import importlib
import pathlib
from typing import Callable

BAD_INPUTS = {}


@dataclasses.dataclass(frozen=True)
class BadInputCase:
  """`call()` must raise `error` with a message matching `match` (`re.search`)."""
  call: Callable
  error: type
  match: str


def register_bad_input(name, error, match):
  """Decorator: registers the decorated zero-argument function as a case."""
  def decorator(call):
    if name in BAD_INPUTS:
      raise ValueError(f'bad-input case {name!r} is registered twice')
    BAD_INPUTS[name] = BadInputCase(call=call, error=error, match=match)
    return call
  return decorator


def load_all_cases():
  """Imports every `tests/bad_inputs/cases_*.py`, each of which registers its cases."""
  for path in sorted((pathlib.Path(__file__).parent / 'bad_inputs').glob('cases_*.py')):
    importlib.import_module(f'bad_inputs.{path.stem}')
