"""The Python that runs in the hub container, configured by the settings the constructs write."""

from hub_runtime.settings import HubSettings, SettingsError, load_settings

__all__ = ["HubSettings", "SettingsError", "load_settings"]
