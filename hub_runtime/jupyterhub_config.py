# JupyterHub configuration: hands the config object to hub_runtime, which applies the settings
# the constructs wrote beside this file (settings.json).
from hub_runtime.config import apply

apply(get_config())  # type: ignore[name-defined]  # noqa: F821
