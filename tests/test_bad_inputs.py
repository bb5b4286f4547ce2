"""Every registered bad input raises its clear error, naming the argument."""

import pytest

import bad_input_registry

bad_input_registry.load_all_cases()
NAMES = sorted(bad_input_registry.BAD_INPUTS)


def test_every_area_registers_cases():
  areas = {name.split('/')[0] for name in NAMES}
  assert {'distributions', 'bijectors', 'evaluation', 'keras', 'datasets'} <= areas, areas


@pytest.mark.parametrize('name', NAMES)
def test_bad_input_raises_a_clear_error(name):
  case = bad_input_registry.BAD_INPUTS[name]
  with pytest.raises(case.error, match=case.match):
    case.call()
