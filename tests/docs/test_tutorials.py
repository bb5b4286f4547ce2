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
# An image a page shows from docs/images (README: docs/images), written by its own code.
IMAGE = re.compile(r'!\[[^\]]*\]\((?:\.\./|docs/)?(images/[^)]+)\)')


@pytest.mark.parametrize('page', PAGES, ids=[p.stem for p in PAGES])
def test_tutorial_runs(page, tmp_path, monkeypatch):
  blocks = CODE_BLOCK.findall(page.read_text())
  assert blocks, f'{page.name} has no python code to run'
  monkeypatch.chdir(tmp_path)
  namespace = {'__name__': '__tutorial__'}
  for number, block in enumerate(blocks):
    exec(compile(block, f'{page.name}[block {number}]', 'exec'), namespace)  # pylint: disable=exec-used
  for image in IMAGE.findall(page.read_text()):
    assert (DOCS / image).is_file(), f'{page.name} shows {image}, which is not committed'
    if page.name != 'README.md':  # The README's pictures come from the main job.
      assert (tmp_path / image).is_file(), (
          f'{page.name} shows {image} but its code does not write it: '
          'run `python docs/render_images.py`')


def test_api_reference_is_current(monkeypatch):
  monkeypatch.syspath_prepend(str(DOCS))
  import generate_api_reference  # pylint: disable=g-import-not-at-top
  assert (DOCS / 'api.md').read_text() == generate_api_reference.render(), (
      'docs/api.md is stale: run `python docs/generate_api_reference.py`')
