"""The Textual console, the only package that imports Textual (entry: ``ui.app.run_console``)."""
