# JupyterHub configuration. The hub ConfigMap delivers this file, settings.json and the
# hub_runtime package into one directory (as z2jh delivers its z2jh.py): importing from here
# first runs the runtime that matches the settings, whether or not the image has one installed.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hub_runtime.config import apply  # after the path above

# Reads settings.json from the config directory ($HUB_SETTINGS overrides); a bad file stops the
# hub here, naming the field.
apply(get_config())  # type: ignore[name-defined]  # noqa: F821
