"""Headless command implementations: load the source, run the engine, print.

Each module is imported by ``ztconsole.cli`` only when its command runs.
"""
