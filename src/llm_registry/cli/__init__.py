"""The command line ``llm-registry`` (§3.3): a thin adapter over the Python API.

The application is ``llm_registry.cli.main.build_app()`` (console script: ``main``). Each command
group lives in its own module with a ``register(app)`` function; ``main.COMMAND_MODULES``
lists them, and ``index.py`` (written by ``scripts/cli-index``) names each command's module.
"""
