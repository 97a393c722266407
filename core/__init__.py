"""Dubline's dubbing library: exact time, lines, engines, fitting, rendering.

Nothing here imports ``dubline.bridge``; the daemon, the CLI and the plugins sit on top.
"""
