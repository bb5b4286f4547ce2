"""Every private import of the package is listed here, with why, and still resolves.

TFP's and TF's public API (`tfp.distributions`, `tfp.util`, `tfp.random`,
`tfp.bijectors`, `tf.debugging`, ...) is what we build on. Where it has no
equivalent we import a private module; each such import is in
`ALLOWED_PRIVATE_IMPORTS` with the reason and the names it is allowed for
(None: any). The source is scanned with `ast`, so a new private import, or
a new use of a listed one, fails here until it is listed (or replaced), and a
TF/TFP/Keras upgrade within the declared range that moves a listed module or
one of the names we use from it fails here, loudly, not deep inside a model.
"""

import ast
import importlib
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / 'tfp_rbm'
PRIVATE_PREFIXES = ('tensorflow_probability.python', 'tensorflow.python', 'keras.src')

ALLOWED_PRIVATE_IMPORTS = {
    'tensorflow_probability.python.internal.prefer_static': (
        'shape arithmetic (`ps.shape`, `ps.concat`, ...) that stays static when shapes '
        'are known, as TFP distributions need for static batch shapes; no public API',
        None),
    'tensorflow_probability.python.internal.tensor_util': (
        '`convert_nonref_to_tensor` and `is_ref`: parameters that are variables stay '
        'variables (TFP\'s constructor idiom); no public API',
        {'convert_nonref_to_tensor', 'is_ref'}),
    'tensorflow_probability.python.internal.cache_util': (
        'the bijector cache policy of TFP\'s own couplings; no public API',
        {'BijectorCacheWithGreedyAttrs'}),
    'tensorflow_probability.python.internal.dtype_util': (
        'TFP\'s dtype inference over nested arguments and variables; no public API',
        {'common_dtype'}),
    'tensorflow_probability.python.internal.parameter_properties': (
        'a parameter with no constraining bijector; `tfp.util.ParameterProperties` is '
        'public, this constant is not',
        {'BIJECTOR_NOT_IMPLEMENTED'}),
    'tensorflow.python.ops.control_flow_util': (
        'noise.py picks the threefry RNG under XLA; no public API tells whether ops are '
        'being built for XLA',
        {'GraphOrParentsInXlaContext'}),
    'tensorflow.python.eager.record': (
        'run_gibbs pauses every enclosing GradientTape around the compiled loop without '
        'holding the tape; no public API',
        {'stop_recording'}),
    'keras.src.trainers.compile_utils': (
        'the container whose metrics\' directions Keras callbacks read; Keras 3 has no '
        'public way to declare a metric\'s direction',
        {'MetricsList'}),
}


def private_imports():
  """`{module: {(file, line, [names used from it])}}` of every private import in the package."""
  found = {}
  for path in sorted(PACKAGE.rglob('*.py')):
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = {}
    for node in ast.walk(tree):
      if isinstance(node, ast.ImportFrom) and node.module:
        for alias in node.names:
          module = f'{node.module}.{alias.name}'
          if module.startswith(PRIVATE_PREFIXES) or node.module.startswith(PRIVATE_PREFIXES):
            aliases[alias.asname or alias.name] = (module, node.lineno)
      elif isinstance(node, ast.Import):
        for alias in node.names:
          if alias.name.startswith(PRIVATE_PREFIXES):
            aliases[alias.asname or alias.name] = (alias.name, node.lineno)
    used = {name: set() for name in aliases}
    for node in ast.walk(tree):
      if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
          and node.value.id in aliases):
        used[node.value.id].add(node.attr)
    for name, (module, line) in aliases.items():
      found.setdefault(module, []).append(
          (str(path.relative_to(PACKAGE.parent)), line, sorted(used[name])))
  return found


def test_every_private_import_is_allowed_with_a_reason():
  unlisted = {module: [f'{path}:{line}' for path, line, _ in places]
              for module, places in private_imports().items()
              if module not in ALLOWED_PRIVATE_IMPORTS}
  assert not unlisted, (
      'Private imports not in ALLOWED_PRIVATE_IMPORTS (use the public API, e.g. '
      '`tfp.distributions`, `tfp.util.ParameterProperties`, `tfp.random.split_seed`, '
      f'`tf.debugging`, or list it with the reason): {unlisted}')


def test_only_the_allowed_names_are_used_from_each_private_import():
  """`tfp.util.ParameterProperties` is public: `parameter_properties` is allowed only for
  what is not."""
  extra = {}
  for module, places in private_imports().items():
    allowed = ALLOWED_PRIVATE_IMPORTS.get(module, ('', None))[1]
    for path, line, names in places:
      if allowed is not None and set(names) - allowed:
        extra[f'{path}:{line}'] = sorted(set(names) - allowed)
  assert not extra, f'Names used beyond ALLOWED_PRIVATE_IMPORTS (use the public API): {extra}'


def test_the_allow_list_has_no_stale_entries():
  stale = set(ALLOWED_PRIVATE_IMPORTS) - set(private_imports())
  assert not stale, f'Listed but no longer imported, remove them: {sorted(stale)}'


@pytest.mark.parametrize('module', sorted(ALLOWED_PRIVATE_IMPORTS))
def test_each_private_import_and_the_names_used_from_it_resolve(module):
  """The module (or the name `from` it) imports, and has every attribute we use."""
  try:
    target = importlib.import_module(module)
  except ImportError:
    parent, _, name = module.rpartition('.')
    target = getattr(importlib.import_module(parent), name)
  for path, line, names in private_imports().get(module, []):
    missing = [name for name in names if not hasattr(target, name)]
    assert not missing, f'{path}:{line} uses {missing}, gone from {module}'
