# JupyterHub configuration: hand the config object to hub_runtime, which applies the settings
# the hub ConfigMap mounts beside this file (settings.json); a bad file stops the hub here.
from hub_runtime.config import apply

apply(get_config())  # type: ignore[name-defined]  # noqa: F821
