"""``python -m brandkit.cli``: the same command line as the ``brandkit`` console script."""

from brandkit.cli import main

main()
