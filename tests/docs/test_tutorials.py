"""Executes every ```python block of every page in docs/ and the README.

Blocks of one page share a namespace and run in order, so a tutorial is a
script a reader can follow. Pages keep their sizes small enough for CI.
"""

import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[2] / 'docs'
PAGES = sorted(p for p in DOCS.rglob('*.md') if p.name != 'api.md') + [DOCS.parent / 'README.md']
CODE_BLOCK = re.compile(r'^```python\n(.*?)^```', re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize('page', PAGES, ids=[p.stem for p in PAGES])
def test_tutorial_runs(page, tmp_path, monkeypatch):
  blocks = CODE_BLOCK.findall(page.read_text())
  assert blocks, f'{page.name} has no python code to run'
  monkeypatch.chdir(tmp_path)
  namespace = {'__name__': '__tutorial__'}
  for number, block in enumerate(blocks):
    exec(compile(block, f'{page.name}[block {number}]', 'exec'), namespace)  # pylint: disable=exec-used


def test_api_reference_is_current(monkeypatch):
  monkeypatch.syspath_prepend(str(DOCS))
  import generate_api_reference  # pylint: disable=g-import-not-at-top
  assert (DOCS / 'api.md').read_text() == generate_api_reference.render(), (
      'docs/api.md is stale: run `python docs/generate_api_reference.py`')
