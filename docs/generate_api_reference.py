"""Writes docs/api.md, the API reference, from the package's docstrings.

    python docs/generate_api_reference.py
"""

import importlib
import inspect
import pathlib

MODULES = [
    'tfp_rbm.distributions',
    'tfp_rbm.mcmc',
    'tfp_rbm.bijectors',
    'tfp_rbm.flows',
    'tfp_rbm.flow_density',
    'tfp_rbm.dequantization',
    'tfp_rbm.networks',
    'tfp_rbm.training',
    'tfp_rbm.keras',
    'tfp_rbm.evaluation',
    'tfp_rbm.datasets',
    'tfp_rbm.image_grid',
]


def _signature(obj):
  try:
    return str(inspect.signature(obj))
  except (TypeError, ValueError):
    return ''


def _entry(module_name, name, obj):
  kind = 'class' if inspect.isclass(obj) else 'function' if callable(obj) else 'constant'
  lines = [f'### `{module_name}.{name}`', '']
  if kind == 'constant':
    lines += [f'`{name} = {obj!r}`', '']
    return lines
  lines += ['```python', f'{kind} {name}{_signature(obj)}', '```', '']
  doc = inspect.getdoc(obj)
  if doc:
    lines += [doc, '']
  if inspect.isclass(obj):
    for member_name, member in sorted(vars(obj).items()):
      if member_name.startswith('_') or not (inspect.isfunction(member)
                                             or isinstance(member, property)):
        continue
      target = member.fget if isinstance(member, property) else member
      summary = (inspect.getdoc(target) or '').split('\n\n')[0]
      signature = '' if isinstance(member, property) else _signature(member)
      lines.append(f'- `{member_name}{signature}`' + (f': {summary}' if summary else ''))
    lines.append('')
  return lines


def _spec_table(title, key, registry, implicit):
  """A table of the spec kinds in `registry`: each kind's keyword arguments and defaults."""
  lines = [f'### {title}', '', f'| `{key}` | keyword arguments (default) | builds |',
           '| --- | --- | --- |']
  for kind, builder in sorted(registry.items()):
    arguments = []
    for name, parameter in inspect.signature(builder).parameters.items():
      if name in implicit or parameter.kind == parameter.VAR_KEYWORD:
        continue
      default = ('required' if parameter.default is parameter.empty
                 else repr(parameter.default))
      arguments.append(f'`{name}` ({default})')
    summary = (inspect.getdoc(builder) or '').split('\n')[0]
    lines.append(f"| `'{kind}'` | {', '.join(arguments) or 'none'} | {summary} |")
  return lines + ['']


def _spec_kinds():
  """The base and flow spec kinds of `FlowModel`, read from `tfp_rbm.keras.specs`."""
  specs = importlib.import_module('tfp_rbm.keras.specs')
  return (['## Spec kinds of `FlowModel`', '',
           'A base spec is `{\'kind\': ..., **keyword_arguments}`, a flow spec '
           '`{\'builder\': ..., **keyword_arguments}`; `FlowModel` fills in the event '
           'size, dtype and seed. Generated from `tfp_rbm.keras.specs`.', '']
          + _spec_table('Base kinds', 'kind', specs.BASE_KINDS,
                        implicit={'event_size', 'dtype', 'seed'})
          + _spec_table('Flow builders', 'builder', specs.FLOW_BUILDERS,
                        implicit={'dtype'}))


def render():
  """The text of docs/api.md."""
  lines = ['# API reference', '',
           'Generated from the docstrings by `python docs/generate_api_reference.py`.', '']
  for module_name in MODULES:
    module = importlib.import_module(module_name)
    lines += [f'## `{module_name}`', '', (inspect.getdoc(module) or '').strip(), '']
    for name in sorted(getattr(module, '__all__', [])):
      lines += _entry(module_name, name, getattr(module, name))
  lines += _spec_kinds()
  return '\n'.join(lines).rstrip() + '\n'


if __name__ == '__main__':
  path = pathlib.Path(__file__).with_name('api.md')
  path.write_text(render())
  print(f'wrote {path}')
