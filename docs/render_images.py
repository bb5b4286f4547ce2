"""Runs the docs pages whose code writes images and copies the images into docs/images.

    python docs/render_images.py

The test suite runs the same code in a temporary directory and checks that
every image a page shows is one its code writes (tests/docs/test_tutorials.py);
this script refreshes the committed copies.
"""

import os
import pathlib
import re
import shutil
import tempfile

DOCS = pathlib.Path(__file__).resolve().parent
CODE_BLOCK = re.compile(r'^```python\n(.*?)^```', re.MULTILINE | re.DOTALL)
IMAGE = re.compile(r'!\[[^\]]*\]\((?:\.\./)?(images/[^)]+)\)')


def pages_with_images():
  return [page for page in sorted(DOCS.rglob('*.md')) if IMAGE.search(page.read_text())]


def main():
  for page in pages_with_images():
    with tempfile.TemporaryDirectory() as scratch:
      os.chdir(scratch)  # What else the page writes (models, checkpoints) stays here.
      namespace = {'__name__': '__tutorial__'}
      for number, block in enumerate(CODE_BLOCK.findall(page.read_text())):
        exec(compile(block, f'{page.name}[block {number}]', 'exec'), namespace)  # pylint: disable=exec-used
      for image in IMAGE.findall(page.read_text()):
        shutil.copyfile(os.path.join(scratch, image), DOCS / image)
      os.chdir(DOCS)
    print(f'{page.relative_to(DOCS)}: wrote', ', '.join(IMAGE.findall(page.read_text())))


if __name__ == '__main__':
  main()
