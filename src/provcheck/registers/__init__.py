"""Registers: the plugin API (Registry, settings, capabilities), discovery of installed plugins, HTTP for plugins, and bases for common kinds of register."""
