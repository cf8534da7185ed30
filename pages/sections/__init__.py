"""The parts of each stage page (``<stage>_<part>.py``) and the sidebar app.py draws on every page."""
