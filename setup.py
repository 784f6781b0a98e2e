"""The one compiled part: the window_funnel SQLite aggregate that counts funnels on SQLite
caches. Optional: without a C compiler or Python's and SQLite's headers (Debian: gcc,
python3-dev, libsqlite3-dev) the install goes on, and funnels are counted by SQL statements
alone, more slowly."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("app.core.funnels._window_funnel",
                             sources=["app/core/funnels/window_funnel.c"], optional=True)])
