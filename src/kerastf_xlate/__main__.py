"""``python -m kerastf_xlate`` is the same as the ``xlate`` command."""

from kerastf_xlate.cli import main

if __name__ == "__main__":
    main()
